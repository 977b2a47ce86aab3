-- The parcel panel (/api/parcels/at) built as JSON in one statement: the parcel at a point with its
-- commune, district and land use, the zones over it with their geodesic overlap (m², WGS84 spheroid)
-- and what their limits allow to build. :n picks one of the benchmark's points (bench_speed.point,
-- points on parcels inside the parcels' extent; the same list the HTTP clients use).
\set n random(1, :points)
SELECT json_build_object(
  'id', p.id,
  'identity', json_build_object('commune_code', c.gso_code, 'commune', c.name, 'district', coalesce(d.name, ''),
                                'map_sheet_no', p.map_sheet_no, 'parcel_no', p.parcel_no),
  'address', p.address,
  'area_m2', round(p.area_m2::numeric, 2),
  'land_use', json_build_object('code', u.code, 'name_vi', u.name_vi, 'name_en', u.name_en),
  'zones', coalesce(z.rows, '[]'::json),
  'buildable', json_build_object('footprint_m2', round(z.footprint::numeric, 2),
                                 'floor_area_m2', round(z.floor_area::numeric, 2), 'max_height_m', z.max_height_m),
  'geometry', ST_AsGeoJSON(p.geom)::json,
  'bbox', json_build_array(ST_XMin(p.geom), ST_YMin(p.geom), ST_XMax(p.geom), ST_YMax(p.geom)))
FROM bench_speed.point pt
CROSS JOIN LATERAL (SELECT * FROM land_parcel l
                    WHERE ST_Intersects(l.geom, ST_SetSRID(ST_MakePoint(pt.lon, pt.lat), 4326)) LIMIT 1) p
JOIN places_adminunit c ON c.gso_code = p.commune_code
LEFT JOIN places_adminunit d ON d.gso_code = c.parent_code
JOIN land_landusecode u ON u.code = p.land_use_code
CROSS JOIN LATERAL (
  SELECT json_agg(json_build_object(
           'zone_code', s.zone_code,
           'planned_land_use', json_build_object('code', s.code, 'name_vi', s.name_vi, 'name_en', s.name_en),
           'plan_name', s.plan_name, 'decision_no', s.decision_no, 'decision_date', s.decision_date,
           'max_floors', s.max_floors, 'max_height_m', s.max_height_m, 'building_density_pct', s.building_density_pct,
           'share_m2', round(s.share_m2::numeric, 2), 'share_pct', round((100 * s.share_m2 / p.area_m2)::numeric, 2),
           'footprint_m2', round((s.share_m2 * s.building_density_pct / 100)::numeric, 2),
           'floor_area_m2', round((s.share_m2 * s.building_density_pct / 100 * s.max_floors)::numeric, 2))
           ORDER BY s.share_m2 DESC) AS rows,
         sum(s.share_m2 * s.building_density_pct / 100) AS footprint,
         sum(s.share_m2 * s.building_density_pct / 100 * coalesce(s.max_floors, 0)) AS floor_area,
         min(s.max_height_m) AS max_height_m
  FROM (SELECT zz.*, lu.code, lu.name_vi, lu.name_en,
               ST_Area(ST_Intersection(zz.geom, p.geom)::geography) AS share_m2
        FROM planning_zoningzone zz JOIN land_landusecode lu ON lu.code = zz.planned_land_use_code
        WHERE ST_Intersects(zz.geom, p.geom)) s
  WHERE s.share_m2 >= 0.01) z
WHERE pt.n = :n;
