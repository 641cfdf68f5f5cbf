// Money in integer minor units, as the API sends it; formatting through the browser's CLDR.

export function digits(currency) {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
}

export function format(amount, currency, locale) {
  const d = digits(currency);
  return new Intl.NumberFormat(locale || "en", { style: "currency", currency }).format(amount / 10 ** d);
}

// Amount typed by a person ("12.5", "12,50") in minor units, or null.
export function parse(text, currency) {
  const cleaned = String(text || "").trim().replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(cleaned)) return null;
  const [whole, fraction = ""] = cleaned.split(".");
  const d = digits(currency);
  if (fraction.length > d) return null;
  return Number(whole) * 10 ** d + Number((fraction + "0".repeat(d)).slice(0, d) || "0");
}

// Tax on a line, half up, from a decimal-string rate, as the server computes it.
export function taxOn(net, rate) {
  const [whole, fraction = ""] = String(rate).split(".");
  const scale = 10n ** BigInt(fraction.length);
  const numerator = BigInt(whole) * scale + BigInt(fraction || "0");
  const doubled = BigInt(net) * numerator * 2n;
  return Number((doubled + scale) / (2n * scale));
}
