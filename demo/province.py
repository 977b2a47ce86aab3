"""Facts of the demo Bình Phước (shared DOMAIN.md §III): real names and GSO codes, real inventory
counts; positions approximate. Everything here is data the generator draws from."""

PROVINCE = {"gso_code": "70", "name": "Tỉnh Bình Phước"}

# Outline of the province, lon/lat (EPSG:4326), approximate, clockwise from the Bình Dương border
# south of Chơn Thành: Tây Ninh to the west, Cambodia along the north-west and north (Hoa Lư border gate
# north of Lộc Ninh), Đắk Nông to the north-east and east, Lâm Đồng and Đồng Nai to the south-east and
# south. The generator bends every border with a smooth deterministic warp, so they are not straight.
OUTLINE = [
    (106.58, 11.36), (106.50, 11.46), (106.47, 11.57), (106.43, 11.70), (106.45, 11.80), (106.43, 11.93),
    (106.50, 11.98), (106.58, 11.985), (106.66, 12.03), (106.75, 12.065), (106.86, 12.055), (106.95, 12.065),
    (107.04, 12.15), (107.10, 12.25), (107.18, 12.30), (107.26, 12.27), (107.33, 12.18), (107.38, 12.07),
    (107.43, 11.96), (107.42, 11.84), (107.43, 11.72), (107.38, 11.62), (107.28, 11.57), (107.18, 11.52),
    (107.10, 11.44), (107.03, 11.33), (106.93, 11.30), (106.83, 11.32), (106.74, 11.33), (106.66, 11.32),
]

# District-level units: GSO code, name, seat (lon, lat of the town, approximate), communes (first one is the seat).
DISTRICTS = [
    ("688", "Thị xã Phước Long", (106.995, 11.835), [
        "Phường Thác Mơ", "Phường Long Thủy", "Phường Phước Bình", "Phường Long Phước",
        "Phường Sơn Giang", "Xã Long Giang", "Xã Phước Tín"]),
    ("689", "Thành phố Đồng Xoài", (106.884, 11.535), [
        "Phường Tân Phú", "Phường Tân Đồng", "Phường Tân Bình", "Phường Tân Xuân",
        "Phường Tân Thiện", "Phường Tiến Thành", "Xã Tiến Hưng", "Xã Tân Thành"]),
    ("690", "Thị xã Bình Long", (106.605, 11.655), [
        "Phường An Lộc", "Phường Phú Thịnh", "Phường Phú Đức", "Phường Hưng Chiến",
        "Xã Thanh Lương", "Xã Thanh Phú"]),
    ("691", "Huyện Bù Gia Mập", (107.04, 11.97), [
        "Xã Phú Nghĩa", "Xã Bù Gia Mập", "Xã Đắk Ơ", "Xã Đức Hạnh", "Xã Phú Văn", "Xã Đa Kia",
        "Xã Phước Minh", "Xã Bình Thắng"]),
    ("692", "Huyện Lộc Ninh", (106.59, 11.84), [
        "Thị trấn Lộc Ninh", "Xã Lộc Hòa", "Xã Lộc An", "Xã Lộc Tấn", "Xã Lộc Thạnh", "Xã Lộc Hiệp",
        "Xã Lộc Thiện", "Xã Lộc Thuận", "Xã Lộc Quang", "Xã Lộc Phú", "Xã Lộc Thành", "Xã Lộc Thái",
        "Xã Lộc Điền", "Xã Lộc Hưng", "Xã Lộc Khánh", "Xã Lộc Thịnh"]),
    ("693", "Huyện Bù Đốp", (106.80, 11.98), [
        "Thị trấn Thanh Bình", "Xã Hưng Phước", "Xã Phước Thiện", "Xã Thiện Hưng", "Xã Thanh Hòa",
        "Xã Tân Thành", "Xã Tân Tiến"]),
    ("694", "Huyện Hớn Quản", (106.64, 11.55), [
        "Thị trấn Tân Khai", "Xã Thanh An", "Xã An Khương", "Xã An Phú", "Xã Tân Lợi", "Xã Tân Hưng",
        "Xã Minh Đức", "Xã Minh Tâm", "Xã Phước An", "Xã Thanh Bình", "Xã Đồng Nơ", "Xã Tân Hiệp",
        "Xã Tân Quan"]),
    ("695", "Huyện Đồng Phú", (106.975, 11.49), [
        "Thị trấn Tân Phú", "Xã Thuận Lợi", "Xã Đồng Tâm", "Xã Tân Phước", "Xã Tân Hưng", "Xã Tân Lợi",
        "Xã Tân Lập", "Xã Tân Hòa", "Xã Thuận Phú", "Xã Đồng Tiến", "Xã Tân Tiến"]),
    ("696", "Huyện Bù Đăng", (107.24, 11.81), [
        "Thị trấn Đức Phong", "Xã Đường 10", "Xã Đắk Nhau", "Xã Phú Sơn", "Xã Thọ Sơn", "Xã Bình Minh",
        "Xã Bom Bo", "Xã Minh Hưng", "Xã Đoàn Kết", "Xã Đồng Nai", "Xã Đức Liễu", "Xã Thống Nhất",
        "Xã Nghĩa Trung", "Xã Nghĩa Bình", "Xã Đăng Hà", "Xã Phước Sơn"]),
    ("697", "Thị xã Chơn Thành", (106.655, 11.43), [
        "Phường Hưng Long", "Phường Thành Tâm", "Phường Minh Hưng", "Phường Minh Long",
        "Phường Minh Thành", "Xã Nha Bích", "Xã Minh Lập", "Xã Quang Minh", "Xã Minh Thắng"]),
    ("698", "Huyện Phú Riềng", (106.93, 11.71), [
        "Xã Phú Riềng", "Xã Bù Nho", "Xã Long Bình", "Xã Long Hà", "Xã Long Hưng", "Xã Long Tân",
        "Xã Phú Trung", "Xã Phước Tân", "Xã Bình Sơn", "Xã Bình Tân"]),
]
PROVINCIAL_CAPITAL = "689"
FIRST_COMMUNE_CODE = 25216  # synthetic 5-digit commune codes, consecutive in steps of 3

# Where each district lies: points inside its real extent besides its seat (lon/lat, approximate).
# Districts are the union of the Voronoi cells of their points, so these place the borders.
DISTRICT_ANCHORS = {
    "688": [(106.975, 11.82), (107.015, 11.85), (106.99, 11.81), (107.0, 11.86)],
    "689": [(106.855, 11.515), (106.91, 11.55), (106.865, 11.555), (106.905, 11.515)],
    "690": [(106.595, 11.635), (106.62, 11.675), (106.585, 11.66)],
    "691": [(107.10, 12.08), (107.18, 12.20), (107.26, 12.14), (106.99, 12.06), (107.13, 11.96),
            (106.97, 11.93), (107.05, 12.12)],
    "692": [(106.52, 11.77), (106.47, 11.86), (106.57, 11.94), (106.66, 11.80), (106.62, 11.745),
            (106.68, 11.90), (106.46, 11.76)],
    "693": [(106.87, 12.03), (106.74, 11.96), (106.93, 12.04), (106.70, 11.99)],
    "694": [(106.72, 11.56), (106.78, 11.62), (106.71, 11.64), (106.52, 11.60), (106.53, 11.69),
            (106.76, 11.70), (106.81, 11.67), (106.56, 11.54)],
    "695": [(107.05, 11.42), (106.95, 11.37), (106.86, 11.38), (107.10, 11.50), (107.03, 11.58),
            (106.79, 11.34), (106.90, 11.45), (107.13, 11.44)],
    "696": [(107.33, 11.72), (107.20, 11.68), (107.36, 11.92), (107.28, 12.00), (107.15, 11.78),
            (107.12, 11.61), (107.25, 11.58), (107.39, 11.80), (107.32, 11.62)],
    "697": [(106.60, 11.40), (106.72, 11.40), (106.60, 11.47), (106.71, 11.47), (106.76, 11.43),
            (106.64, 11.35)],
    "698": [(106.88, 11.66), (106.97, 11.66), (106.87, 11.75), (106.93, 11.77), (107.02, 11.72),
            (106.84, 11.71)],
}

# Main roads on their real alignments (waypoints through the real towns, lon/lat, approximate): name,
# class, width in metres. QL13: Bình Dương border - Chơn Thành - Tân Khai - An Lộc - Lộc Ninh - Hoa Lư
# border gate; QL14: Chơn Thành - Đồng Xoài - Đồng Phú - Bù Đăng (Đức Phong) - Đắk Nông; ĐT741: Bình
# Dương border - Đồng Xoài - Phú Riềng - Phước Long - Phú Nghĩa - Bù Gia Mập.
MAIN_ROADS = [
    ("Quốc lộ 13", "national", 12.0,
     [(106.665, 11.28), (106.655, 11.43), (106.645, 11.50), (106.64, 11.55), (106.62, 11.60),
      (106.605, 11.655), (106.60, 11.74), (106.59, 11.84), (106.585, 11.92), (106.58, 12.02)]),
    ("Quốc lộ 14", "national", 12.0,
     [(106.655, 11.43), (106.72, 11.46), (106.80, 11.505), (106.884, 11.535), (106.95, 11.575),
      (107.02, 11.62), (107.10, 11.67), (107.18, 11.74), (107.24, 11.81), (107.32, 11.89), (107.46, 11.99)]),
    ("Đường tỉnh 741", "provincial", 9.0,
     [(106.80, 11.27), (106.84, 11.38), (106.87, 11.46), (106.884, 11.535), (106.905, 11.62),
      (106.93, 11.71), (106.965, 11.78), (106.995, 11.835), (107.02, 11.90), (107.04, 11.97),
      (107.10, 12.06), (107.18, 12.14)]),
    ("Đường tỉnh 759", "provincial", 7.0, [(106.605, 11.655), (106.72, 11.72), (106.87, 11.77), (106.995, 11.835)]),
    ("Đường tỉnh 759B", "provincial", 7.0, [(106.59, 11.84), (106.70, 11.93), (106.80, 11.98)]),
    ("Đường tỉnh 753", "provincial", 7.0, [(106.884, 11.535), (106.93, 11.51), (106.975, 11.49), (107.04, 11.43)]),
    ("Đường tỉnh 760", "provincial", 7.0, [(106.995, 11.835), (107.08, 11.83), (107.17, 11.84), (107.24, 11.81)]),
]
# Town networks: radius in metres of the district seat's streets (rings and spokes, not a grid).
TOWN_RADIUS_M = {"689": 2600.0, "688": 1700.0, "690": 1700.0, "697": 1700.0}
DISTRICT_TOWN_RADIUS_M = 1100.0
WARD_TOWN_RADIUS_M = 650.0
# Districts whose back country is largely production or protection forest (north and east).
FOREST_DISTRICTS = {"691", "696", "693"}
URBAN_STREET_NAMES = [
    "Hùng Vương", "Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Quang Trung", "Lê Duẩn", "Hai Bà Trưng",
    "Phú Riềng Đỏ", "Nguyễn Trãi", "Lý Thường Kiệt", "Trần Phú", "Võ Thị Sáu", "Điện Biên Phủ",
    "Nguyễn Văn Trỗi", "Lê Quý Đôn", "Nguyễn Du", "Phan Bội Châu", "Phan Chu Trinh", "Ngô Quyền",
    "Trường Chinh", "Tôn Đức Thắng", "Nguyễn Chí Thanh", "Lê Hồng Phong", "Hoàng Văn Thụ", "Phạm Ngọc Thạch",
    "Đinh Tiên Hoàng", "Lý Tự Trọng", "Nguyễn Thị Minh Khai", "Cách Mạng Tháng Tám", "Huỳnh Văn Nghệ",
    "Ngô Gia Tự", "Trần Quốc Toản", "Chu Văn An", "Nguyễn Bỉnh Khiêm",
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
    ("Căn cứ Tà Thiết", "heritage", (106.48, 11.915), "Di tích căn cứ Bộ Chỉ huy Miền, Lộc Ninh."),
]
HOTELS_PER_SEAT = 3
RESTAURANTS_PER_SEAT = 3
