"""Facts of the demo Bình Phước (shared DOMAIN.md §III): real names and GSO codes, real inventory
counts; positions approximate. Everything here is data the generator draws from."""

PROVINCE = {"gso_code": "70", "name": "Tỉnh Bình Phước"}

# Rough outline of the province, lon/lat (EPSG:4326), approximate.
OUTLINE = [
    (106.40, 11.78), (106.52, 11.48), (106.68, 11.30), (106.95, 11.27), (107.22, 11.37),
    (107.47, 11.55), (107.52, 11.86), (107.36, 12.12), (107.10, 12.30), (106.84, 12.26),
    (106.60, 12.12), (106.42, 11.98),
]

# District-level units: GSO code, name, seat (lon, lat, approximate), communes (first one is the seat).
DISTRICTS = [
    ("688", "Thị xã Phước Long", (106.99, 11.835), [
        "Phường Thác Mơ", "Phường Long Thủy", "Phường Phước Bình", "Phường Long Phước",
        "Phường Sơn Giang", "Xã Long Giang", "Xã Phước Tín"]),
    ("689", "Thành phố Đồng Xoài", (106.884, 11.535), [
        "Phường Tân Phú", "Phường Tân Đồng", "Phường Tân Bình", "Phường Tân Xuân",
        "Phường Tân Thiện", "Phường Tiến Thành", "Xã Tiến Hưng", "Xã Tân Thành"]),
    ("690", "Thị xã Bình Long", (106.60, 11.655), [
        "Phường An Lộc", "Phường Phú Thịnh", "Phường Phú Đức", "Phường Hưng Chiến",
        "Xã Thanh Lương", "Xã Thanh Phú"]),
    ("691", "Huyện Bù Gia Mập", (107.06, 12.03), [
        "Xã Phú Nghĩa", "Xã Bù Gia Mập", "Xã Đắk Ơ", "Xã Đức Hạnh", "Xã Phú Văn", "Xã Đa Kia",
        "Xã Phước Minh", "Xã Bình Thắng"]),
    ("692", "Huyện Lộc Ninh", (106.585, 11.84), [
        "Thị trấn Lộc Ninh", "Xã Lộc Hòa", "Xã Lộc An", "Xã Lộc Tấn", "Xã Lộc Thạnh", "Xã Lộc Hiệp",
        "Xã Lộc Thiện", "Xã Lộc Thuận", "Xã Lộc Quang", "Xã Lộc Phú", "Xã Lộc Thành", "Xã Lộc Thái",
        "Xã Lộc Điền", "Xã Lộc Hưng", "Xã Lộc Khánh", "Xã Lộc Thịnh"]),
    ("693", "Huyện Bù Đốp", (106.81, 11.99), [
        "Thị trấn Thanh Bình", "Xã Hưng Phước", "Xã Phước Thiện", "Xã Thiện Hưng", "Xã Thanh Hòa",
        "Xã Tân Thành", "Xã Tân Tiến"]),
    ("694", "Huyện Hớn Quản", (106.70, 11.58), [
        "Thị trấn Tân Khai", "Xã Thanh An", "Xã An Khương", "Xã An Phú", "Xã Tân Lợi", "Xã Tân Hưng",
        "Xã Minh Đức", "Xã Minh Tâm", "Xã Phước An", "Xã Thanh Bình", "Xã Đồng Nơ", "Xã Tân Hiệp",
        "Xã Tân Quan"]),
    ("695", "Huyện Đồng Phú", (107.03, 11.45), [
        "Thị trấn Tân Phú", "Xã Thuận Lợi", "Xã Đồng Tâm", "Xã Tân Phước", "Xã Tân Hưng", "Xã Tân Lợi",
        "Xã Tân Lập", "Xã Tân Hòa", "Xã Thuận Phú", "Xã Đồng Tiến", "Xã Tân Tiến"]),
    ("696", "Huyện Bù Đăng", (107.24, 11.77), [
        "Thị trấn Đức Phong", "Xã Đường 10", "Xã Đắk Nhau", "Xã Phú Sơn", "Xã Thọ Sơn", "Xã Bình Minh",
        "Xã Bom Bo", "Xã Minh Hưng", "Xã Đoàn Kết", "Xã Đồng Nai", "Xã Đức Liễu", "Xã Thống Nhất",
        "Xã Nghĩa Trung", "Xã Nghĩa Bình", "Xã Đăng Hà", "Xã Phước Sơn"]),
    ("697", "Thị xã Chơn Thành", (106.655, 11.43), [
        "Phường Hưng Long", "Phường Thành Tâm", "Phường Minh Hưng", "Phường Minh Long",
        "Phường Minh Thành", "Xã Nha Bích", "Xã Minh Lập", "Xã Quang Minh", "Xã Minh Thắng"]),
    ("698", "Huyện Phú Riềng", (106.93, 11.70), [
        "Xã Phú Riềng", "Xã Bù Nho", "Xã Long Bình", "Xã Long Hà", "Xã Long Hưng", "Xã Long Tân",
        "Xã Phú Trung", "Xã Phước Tân", "Xã Bình Sơn", "Xã Bình Tân"]),
]
PROVINCIAL_CAPITAL = "689"
FIRST_COMMUNE_CODE = 25216  # synthetic 5-digit commune codes, consecutive in steps of 3

# Main roads (approximate waypoints, lon/lat): name, class, width in metres.
MAIN_ROADS = [
    ("Quốc lộ 13", "national", 12.0,
     [(106.66, 11.29), (106.655, 11.43), (106.68, 11.56), (106.60, 11.655), (106.585, 11.84), (106.57, 11.97)]),
    ("Quốc lộ 14", "national", 12.0,
     [(106.655, 11.43), (106.78, 11.49), (106.884, 11.535), (107.03, 11.60), (107.24, 11.77), (107.46, 11.86)]),
    ("Đường tỉnh 741", "provincial", 9.0,
     [(106.884, 11.535), (106.93, 11.70), (106.99, 11.835), (107.06, 12.03), (107.10, 12.20)]),
    ("Đường tỉnh 759", "provincial", 7.0, [(106.60, 11.655), (106.80, 11.76), (106.99, 11.835)]),
    ("Đường tỉnh 759B", "provincial", 7.0, [(106.585, 11.84), (106.70, 11.93), (106.81, 11.99)]),
    ("Đường tỉnh 753", "provincial", 7.0, [(106.884, 11.535), (106.96, 11.50), (107.03, 11.45)]),
    ("Đường tỉnh 760", "provincial", 7.0, [(106.99, 11.835), (107.12, 11.80), (107.24, 11.77)]),
]
URBAN_STREET_NAMES = [
    "Hùng Vương", "Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Quang Trung", "Lê Duẩn", "Hai Bà Trưng",
    "Phú Riềng Đỏ", "Nguyễn Trãi", "Lý Thường Kiệt", "Trần Phú", "Võ Thị Sáu", "Điện Biên Phủ",
    "Nguyễn Văn Trỗi",
]

# Education (438 establishments) and health (161 establishments) by type.
SCHOOL_COUNTS = {"kindergarten": 153, "primary": 134, "lower_secondary": 107, "upper_secondary": 35,
                 "continuing_provincial": 1, "continuing_district": 8}
SCHOOL_PREFIX = {"kindergarten": "Trường Mầm non", "primary": "Trường Tiểu học",
                 "lower_secondary": "Trường THCS", "upper_secondary": "Trường THPT",
                 "continuing_provincial": "Trung tâm Giáo dục thường xuyên tỉnh Bình Phước",
                 "continuing_district": "Trung tâm GDNN-GDTX"}
# §2.7: the provincial hospital, 14 district health centres and tier-3 hospitals, 4 polyclinics;
# the remaining 142 are commune health stations (every commune has one; the largest have two).
CLINIC_COUNTS = {"provincial_hospital": 1, "district_centre": 14, "polyclinic": 4, "commune_station": 142}

# Cameras (§III): phase 1 points by district (46 cameras at 29 points; 6 violation, 23 security).
CAMERA_PHASE1_POINTS = {"689": 14, "688": 9, "690": 3, "694": 1, "697": 1, "695": 1}
CAMERA_PHASE1_CAMERAS = 46
CAMERA_PHASE1_VIOLATION_POINTS = 6
# Phase 2: 17 points on the main roads; purposes over those points.
CAMERA_PHASE2_ROAD_POINTS = {"Quốc lộ 13": 6, "Quốc lộ 14": 7, "Đường tỉnh 741": 4}
CAMERA_PHASE2_PURPOSES = {"violation": 4, "speed": 9, "security": 4}
# Phase 3: one speed point on QL14 and 12 security points in Phú Riềng, Bù Đăng, Lộc Ninh.
CAMERA_PHASE3_SPEED_ROAD = "Quốc lộ 14"
CAMERA_PHASE3_SECURITY = {"698": 4, "696": 4, "692": 4}

# Tourism: named sights (approximate positions) plus hotels and restaurants in every district seat.
SIGHTS = [
    ("Núi Bà Rá", "nature", (106.985, 11.815), "Ngọn núi cao nhất tỉnh, 723 m, bên hồ Thác Mơ."),
    ("Hồ Thác Mơ", "nature", (107.02, 11.86), "Hồ thủy điện Thác Mơ, Phước Long."),
    ("Vườn quốc gia Bù Gia Mập", "nature", (107.15, 12.15), "Rừng nguyên sinh giáp biên giới Campuchia."),
    ("Trảng cỏ Bù Lạch", "nature", (107.28, 11.96), "Thảo nguyên và rừng khộp, Bù Đăng."),
    ("Sóc Bom Bo", "heritage", (107.17, 11.86), "Khu bảo tồn văn hóa dân tộc S'tiêng, Bù Đăng."),
    ("Căn cứ Tà Thiết", "heritage", (106.47, 11.93), "Di tích căn cứ Bộ Chỉ huy Miền, Lộc Ninh."),
]
HOTELS_PER_SEAT = 3
RESTAURANTS_PER_SEAT = 3
