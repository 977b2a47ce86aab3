-- A parcel tile rendered by PostGIS (bench/lookup.py RAW_TILE): ST_AsMVT of the parcels meeting tile
-- z/x/y with a 1/64 margin. :n picks one of the benchmark's z15-16 tiles (bench_speed.tile, tiles
-- holding parcels; the same list the HTTP clients use).
\set n random(1, :tiles)
WITH b AS (SELECT ST_TileEnvelope(t.z, t.x, t.y) AS web,
                  ST_Transform(ST_TileEnvelope(t.z, t.x, t.y, margin => 0.015625), 4326) AS ll
           FROM bench_speed.tile t WHERE t.n = :n)
SELECT ST_AsMVT(t, 'parcels', 4096, 'geom', 'id') FROM (
  SELECT l.id, l.commune_code, l.map_sheet_no, l.parcel_no, l.land_use_code, l.address, l.area_m2,
         ST_AsMVTGeom(ST_Transform(l.geom, 3857), b.web, 4096, 64, true) AS geom
  FROM land_parcel l, b WHERE l.geom && b.ll) t;
