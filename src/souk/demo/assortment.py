"""What the demo business sells: categories, product kinds, materials and colours, named in
English, French and Japanese, with price bands and variant axes."""

from __future__ import annotations

from typing import NamedTuple


class Words(NamedTuple):
    slug: str
    en: str
    fr: str
    ja: str


class Kind(NamedTuple):
    """A kind of product: its category, names, price band (EUR cents), weight (g), and the
    axis its variants vary along."""

    category: str
    noun: Words
    price: tuple[int, int]
    weight_g: int
    axis: str


# (code, parent, en, fr, ja)
CATEGORIES = [
    ("apparel", None, "Apparel", "Vêtements", "アパレル"),
    ("t-shirts", "apparel", "T-shirts", "T-shirts", "Tシャツ"),
    ("shirts", "apparel", "Shirts", "Chemises", "シャツ"),
    ("knitwear", "apparel", "Knitwear", "Mailles", "ニット"),
    ("jackets", "apparel", "Jackets", "Vestes", "ジャケット"),
    ("dresses", "apparel", "Dresses", "Robes", "ワンピース"),
    ("shoes", None, "Shoes", "Chaussures", "シューズ"),
    ("sneakers", "shoes", "Sneakers", "Baskets", "スニーカー"),
    ("boots", "shoes", "Boots", "Bottes", "ブーツ"),
    ("accessories", None, "Accessories", "Accessoires", "アクセサリー"),
    ("bags", "accessories", "Bags", "Sacs", "バッグ"),
    ("scarves", "accessories", "Scarves", "Écharpes", "スカーフ"),
    ("hats", "accessories", "Hats", "Chapeaux", "帽子"),
    ("home", None, "Home", "Maison", "ホーム"),
    ("tableware", "home", "Tableware", "Art de la table", "食器"),
    ("candles", "home", "Candles", "Bougies", "キャンドル"),
    ("textiles", "home", "Home textiles", "Linge de maison", "ファブリック"),
    ("books", None, "Books", "Livres", "本"),
    ("pantry", None, "Pantry", "Épicerie", "食品"),
    ("tea-coffee", "pantry", "Tea & coffee", "Thé et café", "お茶・コーヒー"),
    ("chocolate", "pantry", "Chocolate", "Chocolat", "チョコレート"),
]

KINDS = [
    Kind("t-shirts", Words("t-shirt", "T-shirt", "T-shirt", "Tシャツ"), (1900, 4500), 180, "size"),
    Kind(
        "t-shirts",
        Words("long-sleeve", "Long-sleeve tee", "T-shirt manches longues", "長袖Tシャツ"),
        (2500, 5500),
        220,
        "size",
    ),
    Kind(
        "shirts",
        Words("oxford-shirt", "Oxford shirt", "Chemise oxford", "オックスフォードシャツ"),
        (4900, 9900),
        280,
        "size",
    ),
    Kind(
        "shirts",
        Words("overshirt", "Overshirt", "Surchemise", "シャツジャケット"),
        (6900, 12900),
        450,
        "size",
    ),
    Kind("knitwear", Words("sweater", "Sweater", "Pull", "セーター"), (5900, 15900), 450, "size"),
    Kind(
        "knitwear",
        Words("cardigan", "Cardigan", "Cardigan", "カーディガン"),
        (6900, 16900),
        480,
        "size",
    ),
    Kind(
        "jackets",
        Words("field-jacket", "Field jacket", "Veste de terrain", "フィールドジャケット"),
        (12900, 29900),
        900,
        "size",
    ),
    Kind(
        "jackets",
        Words("raincoat", "Raincoat", "Imperméable", "レインコート"),
        (9900, 24900),
        700,
        "size",
    ),
    Kind(
        "dresses",
        Words("wrap-dress", "Wrap dress", "Robe portefeuille", "ラップワンピース"),
        (7900, 18900),
        350,
        "size",
    ),
    Kind(
        "dresses",
        Words("shirt-dress", "Shirt dress", "Robe chemise", "シャツワンピース"),
        (6900, 15900),
        380,
        "size",
    ),
    Kind(
        "sneakers",
        Words("runner", "Runner", "Basket de course", "ランニングシューズ"),
        (8900, 17900),
        750,
        "shoe",
    ),
    Kind(
        "sneakers",
        Words("court-sneaker", "Court sneaker", "Basket de ville", "コートスニーカー"),
        (7900, 15900),
        800,
        "shoe",
    ),
    Kind(
        "boots",
        Words("chelsea-boot", "Chelsea boot", "Bottine chelsea", "チェルシーブーツ"),
        (14900, 29900),
        1100,
        "shoe",
    ),
    Kind("bags", Words("tote", "Tote bag", "Cabas", "トートバッグ"), (2900, 14900), 400, "colour"),
    Kind(
        "bags", Words("backpack", "Backpack", "Sac à dos", "リュック"), (6900, 18900), 900, "colour"
    ),
    Kind("scarves", Words("scarf", "Scarf", "Écharpe", "マフラー"), (3900, 12900), 150, "colour"),
    Kind("hats", Words("beanie", "Beanie", "Bonnet", "ニット帽"), (2500, 5900), 90, "colour"),
    Kind("hats", Words("cap", "Cap", "Casquette", "キャップ"), (2900, 4900), 110, "colour"),
    Kind("tableware", Words("mug", "Mug", "Mug", "マグカップ"), (1400, 3900), 350, "colour"),
    Kind("tableware", Words("bowl", "Bowl", "Bol", "ボウル"), (1600, 4500), 400, "colour"),
    Kind(
        "candles",
        Words("candle", "Scented candle", "Bougie parfumée", "アロマキャンドル"),
        (2400, 6900),
        300,
        "scent",
    ),
    Kind(
        "textiles", Words("throw", "Throw", "Plaid", "ブランケット"), (5900, 15900), 900, "colour"
    ),
    Kind(
        "textiles",
        Words("tea-towel", "Tea towel", "Torchon", "ティータオル"),
        (900, 2500),
        80,
        "colour",
    ),
    Kind(
        "books",
        Words("cookbook", "Cookbook", "Livre de cuisine", "料理本"),
        (2200, 4500),
        900,
        "format",
    ),
    Kind(
        "books",
        Words("travel-guide", "Travel guide", "Guide de voyage", "旅行ガイド"),
        (1500, 3200),
        500,
        "format",
    ),
    Kind(
        "tea-coffee",
        Words("green-tea", "Green tea", "Thé vert", "緑茶"),
        (900, 3900),
        120,
        "weight",
    ),
    Kind(
        "tea-coffee",
        Words("coffee-beans", "Coffee beans", "Café en grains", "コーヒー豆"),
        (1100, 3500),
        260,
        "weight",
    ),
    Kind(
        "chocolate",
        Words("chocolate-bar", "Chocolate bar", "Tablette de chocolat", "板チョコレート"),
        (450, 1200),
        100,
        "weight",
    ),
]

# What a product is made of or like, per family of categories.
QUALITIES = {
    "clothing": [
        Words("organic-cotton", "Organic cotton", "en coton bio", "オーガニックコットン"),
        Words("linen", "Linen", "en lin", "リネン"),
        Words("merino", "Merino", "en mérinos", "メリノウール"),
        Words("recycled", "Recycled", "recyclé", "リサイクル素材の"),
        Words("heavyweight", "Heavyweight", "épais", "ヘビーウェイト"),
        Words("washed", "Washed", "délavé", "ウォッシュ加工"),
        Words("cashmere-blend", "Cashmere-blend", "en laine et cachemire", "カシミヤ混"),
    ],
    "goods": [
        Words("handmade", "Handmade", "fait main", "ハンドメイド"),
        Words("stoneware", "Stoneware", "en grès", "ストーンウェア"),
        Words("leather", "Leather", "en cuir", "レザー"),
        Words("canvas", "Canvas", "en toile", "キャンバス"),
        Words("classic", "Classic", "classique", "クラシック"),
    ],
    "reading": [
        Words("illustrated", "Illustrated", "illustré", "イラスト入り"),
        Words("pocket", "Pocket", "de poche", "ポケット版"),
        Words("collector", "Collector's", "collector", "コレクターズ"),
    ],
    "food": [
        Words("single-origin", "Single-origin", "d'origine unique", "シングルオリジン"),
        Words("organic", "Organic", "bio", "オーガニック"),
        Words("smoky", "Smoky", "fumé", "スモーキー"),
        Words("dark", "Dark", "noir", "ダーク"),
    ],
}

FAMILY = {
    "t-shirts": "clothing",
    "shirts": "clothing",
    "knitwear": "clothing",
    "jackets": "clothing",
    "dresses": "clothing",
    "sneakers": "clothing",
    "boots": "goods",
    "bags": "goods",
    "scarves": "clothing",
    "hats": "clothing",
    "tableware": "goods",
    "candles": "goods",
    "textiles": "goods",
    "books": "reading",
    "tea-coffee": "food",
    "chocolate": "food",
}

# Collection names: the same in every language, like a brand's line names.
LINES = [
    "Atlas",
    "Marais",
    "Kyoto",
    "Sierra",
    "Nord",
    "Riviera",
    "Hokkaido",
    "Mistral",
    "Brooklyn",
    "Alfama",
    "Camargue",
    "Kamakura",
    "Tiergarten",
    "Sonora",
    "Belleville",
    "Gion",
    "Lisboa",
    "Cévennes",
    "Shoreditch",
    "Naoshima",
]

COLOURS = [
    Words("black", "Black", "Noir", "ブラック"),
    Words("white", "White", "Blanc", "ホワイト"),
    Words("navy", "Navy", "Marine", "ネイビー"),
    Words("olive", "Olive", "Olive", "オリーブ"),
    Words("sand", "Sand", "Sable", "サンド"),
    Words("rust", "Rust", "Rouille", "ラスト"),
    Words("grey", "Heather grey", "Gris chiné", "杢グレー"),
    Words("indigo", "Indigo", "Indigo", "インディゴ"),
]

AXES = {
    "size": ("size", ["XS", "S", "M", "L", "XL"]),
    "shoe": ("size", ["38", "39", "40", "41", "42", "43", "44", "45"]),
    "colour": ("colour", [c.en for c in COLOURS]),
    "scent": ("scent", ["Fig", "Cedar", "Yuzu", "Lavender"]),
    "format": ("format", ["Hardcover", "Paperback"]),
    "weight": ("weight", ["100 g", "250 g", "500 g"]),
}
