-- A cached tile read by its key from the platform's cache table, the look-up a cache hit needs at
-- least. The key is the cache table's unique key, read from the database at run time: bench/speed.py
-- fills {key_join} with "t.<column> = k.<column> AND ..." before running this script.
-- :n picks one of the tiles the platform cached (bench_speed.cache_key, copied from tiles_cachedtile).
\set n random(1, :cached)
SELECT t.data FROM bench_speed.cache_key k JOIN tiles_cachedtile t ON {key_join} WHERE k.n = :n;
