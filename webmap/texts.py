"""Page text of the web map, Vietnamese first; English on the toggle."""

TEXTS = {
    "vi": {
        "title": "Bản đồ tỉnh Bình Phước",
        "base": "Bản đồ nền: ranh giới hành chính và đường chính",
        "external_base": "Bản đồ nền",
        "other_language": "English",
        "ogcapi": "Dịch vụ OGC API",
        "admin": "Quản trị",
        "zoom_in": "phóng to để xem",
        "load_error": "Không tải được lớp",
        "skip": "Bỏ qua, đến bản đồ",
    },
    "en": {
        "title": "Bình Phước province map",
        "base": "Base map: administrative boundaries and main roads",
        "external_base": "Base map",
        "other_language": "Tiếng Việt",
        "ogcapi": "OGC API services",
        "admin": "Administration",
        "zoom_in": "zoom in to see",
        "load_error": "Could not load layer",
        "skip": "Skip to the map",
    },
}
