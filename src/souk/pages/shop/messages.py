"""The storefront's words in each language it speaks. The page picks one by `?lang=`, then
its cookie, then the browser's Accept-Language (negotiated with Babel)."""

from __future__ import annotations

from babel import Locale

EN = {
    "skip": "Skip to content",
    "nav": "Shop sections",
    "catalog": "Catalog",
    "cart": "Cart",
    "account": "Account",
    "language": "Language",
    "currency": "Currency",
    "search": "Search products",
    "search_button": "Search",
    "category": "Category",
    "all_categories": "All categories",
    "no_products": "No product matches.",
    "in_stock": "In stock",
    "out_of_stock": "Out of stock",
    "size": "Variant",
    "quantity": "Quantity",
    "add_to_cart": "Add to cart",
    "added": "Added to your cart.",
    "near_you": "Available in a store near you",
    "near": "Near",
    "check_stores": "Check stores",
    "units_in_store": "{n} in store",
    "km": "{d} km",
    "no_store": "No store nearby has it.",
    "empty_cart": "Your cart is empty.",
    "remove": "Remove",
    "subtotal": "Subtotal",
    "discount": "Discount",
    "shipping": "Shipping",
    "tax": "Tax",
    "total": "Total",
    "checkout": "Checkout",
    "email": "Email",
    "delivery": "Delivery to my address",
    "pickup": "Pick up in store",
    "how": "How would you like it?",
    "store": "Store",
    "name": "Name",
    "line1": "Street and number",
    "city": "City",
    "postal_code": "Postal code",
    "country": "Country",
    "card": "Card (test token)",
    "place_order": "Place order",
    "thanks": "Thank you! Order {number} is placed.",
    "pickup_ready": "We will tell you when it is ready at the store.",
    "sign_in": "Sign in",
    "register": "Create an account",
    "check_inbox": "Almost there: we sent a link to {email}. "
    "Open it to finish creating your account.",
    "password": "Password",
    "sign_out": "Sign out",
    "signed_in_as": "Signed in as {email}",
    "orders": "Your orders",
    "no_orders": "No order yet.",
    "order_line": "Order {number} · {date} · {status} · {total} ({channel})",
    "required": "This field is required.",
    "error": "Something went wrong",
    "loading": "Loading…",
}

FR = {
    "skip": "Aller au contenu",
    "nav": "Rubriques de la boutique",
    "catalog": "Catalogue",
    "cart": "Panier",
    "account": "Compte",
    "language": "Langue",
    "currency": "Devise",
    "search": "Rechercher des produits",
    "search_button": "Rechercher",
    "category": "Catégorie",
    "all_categories": "Toutes les catégories",
    "no_products": "Aucun produit ne correspond.",
    "in_stock": "En stock",
    "out_of_stock": "Épuisé",
    "size": "Variante",
    "quantity": "Quantité",
    "add_to_cart": "Ajouter au panier",
    "added": "Ajouté à votre panier.",
    "near_you": "Disponible dans un magasin près de chez vous",
    "near": "Près de",
    "check_stores": "Voir les magasins",
    "units_in_store": "{n} en magasin",
    "km": "{d} km",
    "no_store": "Aucun magasin proche ne l’a.",
    "empty_cart": "Votre panier est vide.",
    "remove": "Retirer",
    "subtotal": "Sous-total",
    "discount": "Remise",
    "shipping": "Livraison",
    "tax": "TVA",
    "total": "Total",
    "checkout": "Commander",
    "email": "E-mail",
    "delivery": "Livraison à mon adresse",
    "pickup": "Retrait en magasin",
    "how": "Comment souhaitez-vous la recevoir ?",
    "store": "Magasin",
    "name": "Nom",
    "line1": "Rue et numéro",
    "city": "Ville",
    "postal_code": "Code postal",
    "country": "Pays",
    "card": "Carte (jeton de test)",
    "place_order": "Passer la commande",
    "thanks": "Merci ! La commande {number} est passée.",
    "pickup_ready": "Nous vous dirons quand elle sera prête en magasin.",
    "sign_in": "Se connecter",
    "register": "Créer un compte",
    "check_inbox": "Presque fini : un lien a été envoyé à {email}. "
    "Ouvrez-le pour terminer la création du compte.",
    "password": "Mot de passe",
    "sign_out": "Se déconnecter",
    "signed_in_as": "Connecté en tant que {email}",
    "orders": "Vos commandes",
    "no_orders": "Aucune commande pour l’instant.",
    "order_line": "Commande {number} · {date} · {status} · {total} ({channel})",
    "required": "Ce champ est obligatoire.",
    "error": "Une erreur est survenue",
    "loading": "Chargement…",
}

JA = {
    "skip": "本文へスキップ",
    "nav": "ショップのメニュー",
    "catalog": "商品一覧",
    "cart": "カート",
    "account": "アカウント",
    "language": "言語",
    "currency": "通貨",
    "search": "商品を検索",
    "search_button": "検索",
    "category": "カテゴリー",
    "all_categories": "すべてのカテゴリー",
    "no_products": "該当する商品はありません。",
    "in_stock": "在庫あり",
    "out_of_stock": "在庫切れ",
    "size": "バリエーション",
    "quantity": "数量",
    "add_to_cart": "カートに入れる",
    "added": "カートに追加しました。",
    "near_you": "お近くの店舗の在庫",
    "near": "地域",
    "check_stores": "店舗を確認",
    "units_in_store": "店舗在庫 {n}",
    "km": "{d} km",
    "no_store": "近くの店舗に在庫はありません。",
    "empty_cart": "カートは空です。",
    "remove": "削除",
    "subtotal": "小計",
    "discount": "割引",
    "shipping": "送料",
    "tax": "税",
    "total": "合計",
    "checkout": "購入手続き",
    "email": "メールアドレス",
    "delivery": "住所へ配送",
    "pickup": "店舗で受け取り",
    "how": "受け取り方法",
    "store": "店舗",
    "name": "お名前",
    "line1": "番地",
    "city": "市区町村",
    "postal_code": "郵便番号",
    "country": "国",
    "card": "カード（テスト用トークン）",
    "place_order": "注文を確定",
    "thanks": "ありがとうございます。注文 {number} を承りました。",
    "pickup_ready": "店舗での準備ができ次第お知らせします。",
    "sign_in": "ログイン",
    "register": "アカウント作成",
    "check_inbox": "あと少しです。{email} にリンクを送りました。"
    "開くとアカウントの作成が完了します。",
    "password": "パスワード",
    "sign_out": "ログアウト",
    "signed_in_as": "{email} でログイン中",
    "orders": "注文履歴",
    "no_orders": "まだ注文はありません。",
    "order_line": "注文 {number} · {date} · {status} · {total}（{channel}）",
    "required": "必須項目です。",
    "error": "エラーが発生しました",
    "loading": "読み込み中…",
}

MESSAGES = {"en": EN, "fr": FR, "ja": JA}
LANGUAGES = list(MESSAGES)


def language_name(code: str) -> str:
    """Each language named in itself (Français, 日本語), as a language menu should."""
    return str(Locale.parse(code).get_display_name(code)).capitalize()


def negotiate(asked: str | None, cookie: str | None, accept_language: str | None) -> str:
    for choice in (asked, cookie):
        if choice in MESSAGES:
            return choice
    preferred = _parse_accept_language(accept_language or "")
    found = Locale.negotiate(preferred, LANGUAGES, sep="-") if preferred else None
    return str(found.language) if found is not None else "en"


def _parse_accept_language(header: str) -> list[str]:
    weighted = []
    for part in header.split(",")[:20]:
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag and tag != "*":
            weighted.append((weight, tag.strip()))
    return [tag for _, tag in sorted(weighted, key=lambda w: -w[0])]
