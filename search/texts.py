"""What the search answers in words, Vietnamese first (numbers are written the Vietnamese way in
both languages, as everywhere on the platform)."""

TEXTS = {
    "vi": {
        "parcel": "Thửa {parcel_no}, tờ {map_sheet_no}, {commune}",
        "parcels": "{count} thửa",
        "latlon": "Vĩ độ {lat}°, kinh độ {lon}°",
        "tm3": "VN-2000 TM-3 kinh tuyến trục {meridian} (EPSG:{srid})",
        "utm": "VN-2000 UTM múi {zone}, kinh tuyến trục {meridian} (EPSG:{srid})",
        "outside": "Ngoài tỉnh Bình Phước",
        "bad_coordinate": "Toạ độ không hợp lệ.",
        "no_parcel": "Không tìm thấy thửa đất này; kết quả là xã, phường đã nêu.",
        "no_address": "Không tìm thấy địa chỉ này; kết quả là xã, phường đã nêu.",
    },
    "en": {
        "parcel": "Parcel {parcel_no}, sheet {map_sheet_no}, {commune}",
        "parcels": "{count} parcels",
        "latlon": "Latitude {lat}°, longitude {lon}°",
        "tm3": "VN-2000 TM-3, central meridian {meridian} (EPSG:{srid})",
        "utm": "VN-2000 UTM zone {zone}, central meridian {meridian} (EPSG:{srid})",
        "outside": "Outside Bình Phước province",
        "bad_coordinate": "Not a valid coordinate.",
        "no_parcel": "No such parcel; these are the communes named.",
        "no_address": "No such address; these are the communes named.",
    },
}
