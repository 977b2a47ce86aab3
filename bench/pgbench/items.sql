-- Items in a bounding box, limit :limit (100 or 1000), as OGC API Features answers them: the exact count
-- (numberMatched) and the page as a GeoJSON FeatureCollection built by PostGIS. :n picks one of the
-- benchmark's boxes (bench_speed.bbox_<limit>, the same list the HTTP clients use).
\set n random(1, :boxes)
SELECT count(*) FROM land_parcel l JOIN bench_speed.bbox_:limit b
  ON ST_Intersects(l.geom, ST_MakeEnvelope(b.minx, b.miny, b.maxx, b.maxy, 4326)) WHERE b.n = :n;
SELECT '{"type":"FeatureCollection","features":[' || coalesce(string_agg(ST_AsGeoJSON(f.*, 'geom'), ','), '') || ']}'
FROM (SELECT l.id, l.commune_code, l.map_sheet_no, l.parcel_no, l.land_use_code, l.address, l.area_m2, l.geom
      FROM land_parcel l JOIN bench_speed.bbox_:limit b
        ON ST_Intersects(l.geom, ST_MakeEnvelope(b.minx, b.miny, b.maxx, b.maxy, 4326))
      WHERE b.n = :n LIMIT :limit) f;
