"""A GeoPackage feature table kept in step with one collection of the platform, and the local edits
made in it (in QGIS, say) sent back.

Bookkeeping lives beside the feature table: `geosync_state` (per table: the API, the collection and
the change-feed cursor the table is at), `geosync_features` (per row: the server's feature id, the
version the row was synced at and a hash of the synced content) and `sync_conflicts` (edits the
server did not take, listed for the user; registered so QGIS shows it). A row is edited locally when
its content hash differs from the synced hash, new when it has no server id, deleted when a synced
row is missing. A pull never overwrites a local edit: the push that follows meets the server's
change through If-Match and records a conflict instead.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field

import shapely
import shapely.geometry

from . import gpkg
from .api import ApiError, Gone, Platform, PreconditionFailed

CONFLICTS = "sync_conflicts"
_BOOKKEEPING = f"""
CREATE TABLE IF NOT EXISTS geosync_state (
  layer TEXT PRIMARY KEY,            -- the feature table of this GeoPackage
  url TEXT NOT NULL,                 -- the OGC API it mirrors (landing page)
  collection TEXT NOT NULL,          -- the collection id there
  cursor TEXT,                       -- the change-feed position the table is at
  synced_at DATETIME);               -- UTC, last successful pull
CREATE TABLE IF NOT EXISTS geosync_features (
  layer TEXT NOT NULL, fid INTEGER NOT NULL, feature_id INTEGER NOT NULL,
  version INTEGER,                   -- the server's version the row was synced at (NULL: not known)
  content_hash TEXT NOT NULL,        -- sha256 of the synced attributes and geometry
  PRIMARY KEY (layer, fid), UNIQUE (layer, feature_id));
CREATE TABLE IF NOT EXISTS {CONFLICTS} (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  layer TEXT NOT NULL, local_fid INTEGER NOT NULL, feature_id INTEGER,
  kind TEXT NOT NULL,                -- changed_on_server, deleted_on_server, refused
  local_version INTEGER, server_version INTEGER,
  local_geojson TEXT, server_geojson TEXT,
  detected_at DATETIME NOT NULL, message TEXT NOT NULL, resolved_at DATETIME);
"""
_SQLITE_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "BOOLEAN"}


class SyncError(Exception):
    """A sync that cannot go on (wrong GeoPackage, nothing pulled yet ...), worded for the user."""


class _Resync(Exception):
    """The change feed says the layer was emptied: copy it whole again."""


@dataclass
class Pulled:
    copied: int | None = None  # features in a full copy (None: only changes were applied)
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    kept_local: int = 0  # server changes to rows with unpushed local edits, not applied


@dataclass
class Conflict:
    fid: int
    feature_id: int | None
    kind: str
    message: str


@dataclass
class Pushed:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    errors: list[Conflict] = field(default_factory=list)


@dataclass
class Pending:
    new: int
    edited: int
    deleted: int
    conflicts: int


def _plain(value):
    """A value as hashed: SQLite and JSON spellings of the same value hash alike (True/1, 5.0/5)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _version(found: tuple[dict, int | None]) -> int | None:
    """The version of a feature read alone: its ETag, else a version the feature carries."""
    feature, etag_version = found
    return etag_version if etag_version is not None else feature.get("version")


def content_hash(values: dict, geometry) -> str:
    """sha256 of a row's attributes and 2D geometry (EPSG:4326), independent of how they are spelt."""
    wkb = None if geometry is None else shapely.to_wkb(geometry, hex=True, output_dimension=2, byte_order=1)
    canonical = json.dumps({"properties": {name: _plain(value) for name, value in values.items()}, "geometry": wkb},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@contextmanager
def transaction(db: sqlite3.Connection):
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def columns_from_schema(schema: dict, sample: dict | None) -> dict[str, str]:
    """GeoPackage columns (name -> type) for a collection's JSON Schema; properties of the first
    feature that the schema does not name become TEXT columns."""
    columns = {}
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("x-ogc-role") in ("id", "primary-geometry") or str(prop.get("format", "")).startswith("geometry") \
                or name.lower() in ("fid", gpkg.GEOMETRY_COLUMN, "geometry", "id"):
            continue
        kind = _SQLITE_TYPES.get(prop.get("type"), "TEXT")
        columns[name] = "DATE" if kind == "TEXT" and prop.get("format") == "date" else kind
    for name in ((sample or {}).get("properties") or {}):
        if name not in columns and name.lower() not in ("fid", gpkg.GEOMETRY_COLUMN):
            columns[name] = "TEXT"
    return columns


def geometry_type_from(schema: dict, sample: dict | None) -> str:
    """POINT, MULTIPOLYGON ... from the schema's geometry format, else from the first feature (a
    layer's geometry column holds one type), else GEOMETRY."""
    for prop in (schema.get("properties") or {}).values():
        if prop.get("x-ogc-role") == "primary-geometry":
            named = str(prop.get("format", "")).removeprefix("geometry-").replace("-", "")
            if named in gpkg.GEOMETRY_TYPES:
                return gpkg.GEOMETRY_TYPES[named]
    geometry = (sample or {}).get("geometry") or {}
    return gpkg.GEOMETRY_TYPES.get(str(geometry.get("type", "")).lower(), "GEOMETRY")


class Mirror:
    """The mirror of one collection in feature table `layer` of the GeoPackage `db`."""

    def __init__(self, db: sqlite3.Connection, layer: str):
        self.db, self.layer = db, layer
        self.table = gpkg.quoted(layer)

    @classmethod
    def open(cls, path: str, layer: str | None = None) -> Mirror:
        """The GeoPackage at `path` (created if missing) and its mirrored table `layer`, or its only one."""
        db = gpkg.connect(path)
        db.executescript(_BOOKKEEPING)
        with transaction(db):
            gpkg.register_attributes(db, CONFLICTS, "Xung đột đồng bộ / Sync conflicts",
                                     "Sửa cục bộ mà máy chủ không nhận. / Local edits the server did not take.")
        if layer is None:
            layers = [row[0] for row in db.execute("SELECT layer FROM geosync_state ORDER BY layer")]
            if len(layers) != 1:
                db.close()
                raise SyncError(f"Hãy chọn lớp bằng --layer ({', '.join(layers) or 'chưa có lớp nào'}). / "
                                f"Choose the layer with --layer ({', '.join(layers) or 'none mirrored yet'}).")
            layer = layers[0]
        return cls(db, layer)

    def close(self) -> None:
        self.db.close()

    # --- state --------------------------------------------------------------------------------
    def state(self) -> dict | None:
        row = self.db.execute("SELECT url, collection, cursor FROM geosync_state WHERE layer = ?",
                              (self.layer,)).fetchone()
        return None if row is None else {"url": row[0], "collection": row[1], "cursor": row[2]}

    def _save_state(self, url: str, collection: str, cursor: str | None) -> None:
        self.db.execute("INSERT INTO geosync_state VALUES (?, ?, ?, ?, ?) ON CONFLICT (layer) DO UPDATE SET "
                        "url = excluded.url, collection = excluded.collection, cursor = excluded.cursor, "
                        "synced_at = excluded.synced_at", (self.layer, url, collection, cursor, gpkg.now()))

    @property
    def columns(self) -> dict[str, str]:
        """The table's attribute columns (name -> type), read once it exists."""
        if not getattr(self, "_columns", None):
            self._columns = gpkg.columns_of(self.db, self.layer)
        return self._columns

    def _synced(self) -> dict[int, tuple[int, int | None, str]]:
        """fid -> (server feature id, synced version, synced hash) of every synced row."""
        return {fid: (feature_id, version, digest) for fid, feature_id, version, digest in self.db.execute(
            "SELECT fid, feature_id, version, content_hash FROM geosync_features WHERE layer = ?", (self.layer,))}

    def _mapping(self, feature_id: int) -> tuple[int, int | None, str] | None:
        """(local fid, synced version, synced hash) of a server feature."""
        return self.db.execute("SELECT fid, version, content_hash FROM geosync_features WHERE layer = ? "
                               "AND feature_id = ?", (self.layer, feature_id)).fetchone()

    # --- rows -------------------------------------------------------------------------------------
    def _row(self, fid: int) -> tuple[dict, object] | None:
        """(attributes, shapely geometry) of a local row, None when it is not there."""
        names = list(self.columns)
        row = self.db.execute(f"SELECT {gpkg.GEOMETRY_COLUMN}{''.join(', ' + gpkg.quoted(n) for n in names)} "
                              f"FROM {self.table} WHERE fid = ?", (fid,)).fetchone()
        return None if row is None else (dict(zip(names, row[1:])), gpkg.decode(row[0]))

    def _rows(self):
        names = list(self.columns)
        for row in self.db.execute(f"SELECT fid, {gpkg.GEOMETRY_COLUMN}{''.join(', ' + gpkg.quoted(n) for n in names)} "
                                   f"FROM {self.table}").fetchall():
            yield row[0], dict(zip(names, row[2:])), gpkg.decode(row[1])

    def _local_hash(self, fid: int) -> str | None:
        row = self._row(fid)
        return None if row is None else content_hash(*row)

    def _stored(self, feature: dict) -> tuple[dict, object]:
        """A GeoJSON feature's attributes as this table stores them, and its shapely geometry."""
        properties = feature.get("properties") or {}
        values = {}
        for name in self.columns:
            value = properties.get(name)
            if isinstance(value, bool):
                value = int(value)
            elif isinstance(value, (dict, list)):
                value = json.dumps(value, ensure_ascii=False, sort_keys=True)
            values[name] = value
        geometry = feature.get("geometry")
        return values, (shapely.geometry.shape(geometry) if geometry else None)

    def _feature(self, feature_id: int | None, values: dict, geometry) -> dict:
        """A local row as the GeoJSON feature sent to the server."""
        kinds = self.columns
        properties = {name: (bool(value) if kinds.get(name) == "BOOLEAN" and value is not None else _plain(value))
                      for name, value in values.items()}
        feature = {"type": "Feature", "properties": properties,
                   "geometry": None if geometry is None else shapely.geometry.mapping(geometry)}
        if feature_id is not None:
            feature["id"] = feature_id
        return feature

    def _write(self, fid: int | None, feature_id: int, values: dict, geometry) -> int:
        """Put the server's content into row `fid` (None: a new row, numbered as on the server when
        that number is free). Returns the row's fid."""
        names = list(values)
        blob = gpkg.encode(geometry)
        if fid is not None and self.db.execute(f"SELECT 1 FROM {self.table} WHERE fid = ?", (fid,)).fetchone():
            assignments = ", ".join(f"{gpkg.quoted(n)} = ?" for n in names)
            self.db.execute(f"UPDATE {self.table} SET {gpkg.GEOMETRY_COLUMN} = ?{', ' + assignments if names else ''} "
                            f"WHERE fid = ?", (blob, *values.values(), fid))
            return fid
        if fid is None:
            taken = self.db.execute(f"SELECT 1 FROM {self.table} WHERE fid = ? UNION ALL SELECT 1 FROM "
                                    "geosync_features WHERE layer = ? AND fid = ?",
                                    (feature_id, self.layer, feature_id)).fetchone()
            fid = None if taken else feature_id
        cursor = self.db.execute(
            f"INSERT INTO {self.table} (fid, {gpkg.GEOMETRY_COLUMN}{''.join(', ' + gpkg.quoted(n) for n in names)}) "
            f"VALUES (?, ?{', ?' * len(names)})", (fid, blob, *values.values()))
        return cursor.lastrowid

    def _remember(self, fid: int, feature_id: int, version: int | None, digest: str) -> None:
        self.db.execute("INSERT INTO geosync_features VALUES (?, ?, ?, ?, ?) ON CONFLICT (layer, fid) DO UPDATE "
                        "SET feature_id = excluded.feature_id, version = excluded.version, "
                        "content_hash = excluded.content_hash", (self.layer, fid, feature_id, version, digest))

    def _forget(self, fid: int) -> None:
        self.db.execute("DELETE FROM geosync_features WHERE layer = ? AND fid = ?", (self.layer, fid))

    # --- pull -------------------------------------------------------------------------------------
    def pull(self, platform: Platform, collection: str, *, page_size: int = 1000) -> Pulled:
        """Bring the table up to date: the whole collection the first time (or when the server says
        the feed no longer reaches back), then only the changes since the saved cursor."""
        state = self.state()
        if state and (state["collection"] != collection or state["url"].rstrip("/") != platform.url):
            raise SyncError(f"Lớp {self.layer} của tệp này sao chép {state['collection']} từ {state['url']}; hãy dùng "
                            f"tệp khác. / Table {self.layer} mirrors {state['collection']} from {state['url']}; "
                            "use another GeoPackage.")
        pulled = Pulled()
        if state is None or state["cursor"] is None or not gpkg.has_table(self.db, self.layer):
            self._copy(platform, collection, page_size, pulled)
            return pulled
        try:
            self._follow(platform, collection, state["cursor"], page_size, pulled)
        except (Gone, _Resync):
            self._copy(platform, collection, page_size, pulled)
        return pulled

    def _copy(self, platform: Platform, collection: str, page_size: int, pulled: Pulled) -> None:
        """Copy the whole collection, then catch up with the changes made meanwhile."""
        # The cursor first: whatever changes during the copy is then in the feed that follows it.
        cursor = platform.changes(collection, "latest", limit=1)["next"]
        schema = platform.schema(collection)
        title = platform.collection(collection).get("title") or collection
        seen = set()
        with transaction(self.db):
            if not gpkg.has_table(self.db, self.layer):  # first copy, or the user dropped the table
                self.db.execute("DELETE FROM geosync_features WHERE layer = ?", (self.layer,))
            for page in platform.feature_pages(collection, limit=page_size):
                if not gpkg.has_table(self.db, self.layer):
                    self._create(schema, page[0] if page else None, title)
                for feature in page:
                    self._apply(feature, feature.get("version"), pulled)
                    seen.add(int(feature["id"]))
            if not gpkg.has_table(self.db, self.layer):
                self._create(schema, None, title)
            for feature_id, in self.db.execute("SELECT feature_id FROM geosync_features WHERE layer = ?",
                                               (self.layer,)).fetchall():
                if feature_id not in seen:  # deleted on the server since this table was last in step
                    self._apply_delete(feature_id, pulled)
            self._save_state(platform.url, collection, cursor)
            gpkg.touch(self.db, self.layer)
        pulled.copied = len(seen)
        # Items are paged by offset in id order: a feature deleted during the copy moves the later
        # ones up a place, and the next page skips one. So list the server's ids (a light listing)
        # and fetch those the table lacks, once, and again while the feed shows deletions (the feed
        # may show them only later: it waits for every older transaction of the database to end).
        self._fill_gaps(platform, collection, page_size, pulled)
        for _ in range(3):
            if not self._follow(platform, collection, self.state()["cursor"], page_size, pulled):
                break
            self._fill_gaps(platform, collection, page_size, pulled)

    def _create(self, schema: dict, sample: dict | None, title: str) -> None:
        self._columns = None
        gpkg.create_feature_table(self.db, self.layer, columns_from_schema(schema, sample),
                                  geometry_type_from(schema, sample), title=title,
                                  description=schema.get("description", ""))

    def _follow(self, platform: Platform, collection: str, cursor: str, page_size: int, pulled: Pulled) -> bool:
        """Apply the change feed from `cursor` to its end, each page with its cursor in one
        transaction. True when it held deletions."""
        deletions = False
        while True:
            page = platform.changes(collection, cursor, limit=page_size)
            with transaction(self.db):
                for change in page.get("changes") or []:
                    if change["op"] == "truncate":
                        raise _Resync
                    if change["op"] == "delete":
                        deletions = True
                        self._apply_delete(int(change["id"]), pulled)
                    elif change.get("feature"):  # None: deleted since; its deletion follows in the feed
                        self._apply(change["feature"], change["feature"].get("version", change.get("version")),
                                    pulled)
                cursor = page.get("next") or cursor
                self._save_state(platform.url, collection, cursor)
                gpkg.touch(self.db, self.layer)
            if not page.get("more"):
                return deletions

    def _fill_gaps(self, platform: Platform, collection: str, page_size: int, pulled: Pulled) -> None:
        names = list(self.columns)
        listing = {"skipGeometry": "true", **({"properties": names[0]} if names else {})}
        server = {int(f["id"]) for page in platform.feature_pages(collection, limit=page_size, **listing) for f in page}
        known = {row[0] for row in self.db.execute("SELECT feature_id FROM geosync_features WHERE layer = ?",
                                                   (self.layer,))}
        for feature_id in sorted(server - known):
            found = platform.feature(collection, feature_id)
            if found:
                with transaction(self.db):
                    self._apply(found[0], _version(found), pulled)

    def _apply(self, feature: dict, version: int | None, pulled: Pulled) -> None:
        """The server's current state of a feature, unless the row has unpushed local edits."""
        feature_id = int(feature["id"])
        values, geometry = self._stored(feature)
        synced = self._mapping(feature_id)
        if synced:
            fid, _, synced_hash = synced
            local = self._local_hash(fid)
            if local != synced_hash:  # edited or deleted here and not pushed yet: keep the local edit
                if local == content_hash(values, geometry):  # the same edit on both sides
                    self._remember(fid, feature_id, version, local)
                else:
                    pulled.kept_local += 1
                return
            fid = self._write(fid, feature_id, values, geometry)
            if self._local_hash(fid) != synced_hash:
                pulled.updated += 1
        else:
            fid = self._write(None, feature_id, values, geometry)
            pulled.inserted += 1
        self._remember(fid, feature_id, version, self._local_hash(fid))

    def _apply_delete(self, feature_id: int, pulled: Pulled) -> None:
        synced = self._mapping(feature_id)
        if synced is None:
            return
        fid, _, synced_hash = synced
        local = self._local_hash(fid)
        if local is not None and local != synced_hash:  # edited here: the push reports it deleted on the server
            pulled.kept_local += 1
            return
        if local is not None:
            self.db.execute(f"DELETE FROM {self.table} WHERE fid = ?", (fid,))
            pulled.deleted += 1
        self._forget(fid)

    # --- push -------------------------------------------------------------------------------------
    def pending(self) -> Pending:
        """What a push would send, and the conflicts not resolved yet (no network)."""
        synced, new, edited, present = self._synced(), 0, 0, set()
        for fid, values, geometry in self._rows():
            present.add(fid)
            if fid not in synced:
                new += 1
            elif content_hash(values, geometry) != synced[fid][2]:
                edited += 1
        open_conflicts = self.db.execute(f"SELECT count(*) FROM {CONFLICTS} WHERE layer = ? AND resolved_at IS NULL",
                                         (self.layer,)).fetchone()[0]
        return Pending(new, edited, len(set(synced) - present), open_conflicts)

    def push(self, platform: Platform, collection: str) -> Pushed:
        """Send the local edits: new rows (POST), edited rows (PUT with If-Match: the synced version)
        and deleted rows (DELETE with If-Match). What the server refuses is recorded, not overwritten."""
        if not gpkg.has_table(self.db, self.layer) or self.state() is None:
            raise SyncError("Chưa kéo dữ liệu về tệp này; hãy chạy geosync pull trước. / Nothing pulled into "
                            "this GeoPackage yet; run geosync pull first.")
        pushed, synced, present = Pushed(), self._synced(), set()
        for fid, values, geometry in self._rows():
            present.add(fid)
            digest = content_hash(values, geometry)
            if fid not in synced:
                self._push_new(platform, collection, fid, values, geometry, digest, pushed)
            elif digest != synced[fid][2]:
                self._push_edit(platform, collection, fid, synced[fid], values, geometry, digest, pushed)
        for fid in sorted(set(synced) - present):
            self._push_delete(platform, collection, fid, synced[fid], pushed)
        return pushed

    def _push_new(self, platform, collection, fid, values, geometry, digest, pushed: Pushed) -> None:
        feature = self._feature(None, values, geometry)
        try:
            feature_id, version = platform.create(collection, feature)
        except ApiError as error:
            self._refused(fid, None, None, feature, error, pushed)
            return
        with transaction(self.db):
            self._remember(fid, feature_id, version, digest)
        pushed.created += 1

    def _base_version(self, platform, collection, fid, synced, local_feature, pushed: Pushed) -> int | None:
        """The version the local edit is based on. Rows copied without a version (the server's
        items did not carry it) take the server's current one if the server still has the synced
        content; None (a conflict recorded) otherwise."""
        feature_id, version, synced_hash = synced
        if version is not None:
            return version
        found = platform.feature(collection, feature_id)
        if found is None:
            self._conflict(fid, feature_id, None, None, local_feature, None, "deleted_on_server", pushed)
            return None
        server_feature, server_version = found
        if server_version is None:
            raise ApiError(None, "NoETag", "Máy chủ không trả ETag nên không gửi được bản sửa an toàn. / The server "
                                           "answers no ETag, so edits cannot be sent safely.")
        if content_hash(*self._stored(server_feature)) != synced_hash:
            self._conflict(fid, feature_id, None, server_version, local_feature, server_feature, "changed_on_server",
                           pushed)
            return None
        return server_version

    def _push_edit(self, platform, collection, fid, synced, values, geometry, digest, pushed: Pushed) -> None:
        feature_id = synced[0]
        feature = self._feature(feature_id, values, geometry)
        version = self._base_version(platform, collection, fid, synced, feature, pushed)
        if version is None:
            return
        try:
            new_version = platform.replace(collection, feature_id, feature, version)
        except PreconditionFailed as failed:
            found = platform.feature(collection, feature_id)
            self._conflict(fid, feature_id, version, found[1] if found else failed.current, feature,
                           found[0] if found else None, "changed_on_server", pushed)
            return
        except ApiError as error:
            if error.status in (404, 410):
                self._conflict(fid, feature_id, version, None, feature, None, "deleted_on_server", pushed)
            else:
                self._refused(fid, feature_id, version, feature, error, pushed)
            return
        with transaction(self.db):
            self._remember(fid, feature_id, new_version, digest)
            self._resolved(fid)
        pushed.updated += 1

    def _push_delete(self, platform, collection, fid, synced, pushed: Pushed) -> None:
        feature_id = synced[0]
        version = self._base_version(platform, collection, fid, synced, None, pushed)
        if version is None:
            return
        try:
            platform.delete(collection, feature_id, version)
        except PreconditionFailed as failed:
            found = platform.feature(collection, feature_id)
            self._conflict(fid, feature_id, version, found[1] if found else failed.current, None,
                           found[0] if found else None, "changed_on_server", pushed)
            return
        except ApiError as error:
            if error.status not in (404, 410):  # already gone on the server: nothing left to do
                self._refused(fid, feature_id, version, None, error, pushed)
                return
        with transaction(self.db):
            self._forget(fid)
            self._resolved(fid)
        pushed.deleted += 1

    def _conflict(self, fid, feature_id, local_version, server_version, local_feature, server_feature, kind,
                  pushed: Pushed) -> None:
        if kind == "deleted_on_server":
            message = (f"Đối tượng {feature_id} đã bị xóa trên máy chủ; bản sửa cục bộ chưa được gửi. / Feature "
                       f"{feature_id} was deleted on the server; the local edit was not sent.")
        else:
            base_vi = f"phiên bản {local_version}" if local_version is not None else "bản đã đồng bộ"
            base_en = f"version {local_version}" if local_version is not None else "the synced copy"
            message = (f"Đối tượng {feature_id} đã được sửa trên máy chủ (phiên bản {server_version}, bản sửa cục bộ "
                       f"dựa trên {base_vi}); bản sửa cục bộ chưa được gửi. / Feature {feature_id} changed on the "
                       f"server (version {server_version}; the local edit is based on {base_en}); the local edit "
                       "was not sent.")
        self._record(fid, feature_id, kind, local_version, server_version, local_feature, server_feature, message)
        pushed.conflicts.append(Conflict(fid, feature_id, kind, message))

    def _refused(self, fid, feature_id, version, local_feature, error: ApiError, pushed: Pushed) -> None:
        what = f"đối tượng {feature_id}" if feature_id else f"dòng mới fid {fid}"
        what_en = f"feature {feature_id}" if feature_id else f"new row fid {fid}"
        message = f"Máy chủ từ chối {what} / The server refused {what_en}: {error}"
        self._record(fid, feature_id, "refused", version, None, local_feature, None, message)
        pushed.errors.append(Conflict(fid, feature_id, "refused", message))

    def _record(self, fid, feature_id, kind, local_version, server_version, local_feature, server_feature,
                message) -> None:
        """A row of sync_conflicts; one open row per row, kind and server version (a push repeated
        before the conflict is resolved refreshes it)."""
        def as_json(feature: dict | None) -> str | None:
            return None if feature is None else json.dumps(feature, ensure_ascii=False)

        with transaction(self.db):
            updated = self.db.execute(
                f"UPDATE {CONFLICTS} SET local_geojson = ?, detected_at = ?, message = ? WHERE layer = ? "
                "AND local_fid = ? AND kind = ? AND server_version IS ? AND resolved_at IS NULL",
                (as_json(local_feature), gpkg.now(), message, self.layer, fid, kind, server_version)).rowcount
            if not updated:
                self.db.execute(
                    f"INSERT INTO {CONFLICTS} (layer, local_fid, feature_id, kind, local_version, server_version, "
                    "local_geojson, server_geojson, detected_at, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (self.layer, fid, feature_id, kind, local_version, server_version, as_json(local_feature),
                     as_json(server_feature), gpkg.now(), message))

    def _resolved(self, fid: int) -> None:
        self.db.execute(f"UPDATE {CONFLICTS} SET resolved_at = ? WHERE layer = ? AND local_fid = ? "
                        "AND resolved_at IS NULL", (gpkg.now(), self.layer, fid))

    # --- resolve ----------------------------------------------------------------------------------
    def resolve(self, platform: Platform, collection: str, fid: int, keep: str) -> str:
        """End the conflicts of row `fid`: keep="server" puts the server's current feature into the
        row (or removes the row if the server has none); keep="local" rebases the local edit on the
        server's current version, so the next push sends it (as a new feature if the server deleted it)."""
        synced = self.db.execute("SELECT feature_id FROM geosync_features WHERE layer = ? AND fid = ?",
                                 (self.layer, fid)).fetchone()
        found = platform.feature(collection, synced[0]) if synced else None
        with transaction(self.db):
            if keep == "server":
                if found:
                    self._write(fid, synced[0], *self._stored(found[0]))
                    self._remember(fid, synced[0], _version(found), self._local_hash(fid))
                else:
                    self.db.execute(f"DELETE FROM {self.table} WHERE fid = ?", (fid,))
                    self._forget(fid)
            elif synced and found:
                self.db.execute("UPDATE geosync_features SET version = ? WHERE layer = ? AND fid = ?",
                                (_version(found), self.layer, fid))
            elif synced:
                self._forget(fid)
            self._resolved(fid)
        return keep
