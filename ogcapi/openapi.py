"""The OpenAPI document made truthful: pygeoapi's generated document points at schemas on the
internet (unreachable on the province network) and lists fewer answers than the server gives. Here
every remote reference becomes a local component, each operation lists the statuses and media types
it really answers with, /conformance has its own schema, parameters the server refuses
(vendor-specific ones) are not advertised, and the layers' items take CQL2 filters (ogcapi.cql2).
Schemathesis checks responses against it."""
from __future__ import annotations

import copy

from django.conf import settings

from . import cql2
from .config import OUTPUT_CRS
from .params import FEATURE_FORMATS, MAX_LIMIT, MAX_OFFSET, TEXT_SCHEMA as _TEXT, property_fields, property_schema

_EXCEPTION = {"$ref": "#/components/schemas/exception"}


def _json(schema: dict, *types: str) -> dict:
    return {t: {"schema": schema} for t in (types or ("application/json",))}


def _html() -> dict:
    return {"text/html": {"schema": {"type": "string"}}}


def _error(description: str) -> dict:
    """An OGC exception: JSON, or in the format the request asked for (f=html, f=jsonld)."""
    return {"description": description, "content": {**_json(_EXCEPTION), **_html(),
                                                    "application/ld+json": {"schema": {"type": "object"}}}}


SCHEMAS = {
    "exception": {"type": "object", "required": ["code"],
                  "properties": {"code": {"type": "string"}, "description": {"type": "string"}}},
    "link": {"type": "object", "required": ["href"],
             "properties": {"href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
                            "hreflang": {"type": "string"}, "title": {"type": "string"}}},
    "landingPage": {"type": "object", "required": ["links"],
                    "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                                   "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}}}},
    "confClasses": {"type": "object", "required": ["conformsTo"],
                    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}},
    "collection": {"type": "object", "required": ["id", "links"],
                   "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                  "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}}}},
    "collections": {"type": "object", "required": ["collections", "links"],
                    "properties": {"collections": {"type": "array",
                                                   "items": {"$ref": "#/components/schemas/collection"}},
                                   "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}}}},
    "featureGeoJSON": {"type": "object", "required": ["type", "geometry", "properties"],
                       "properties": {"type": {"type": "string", "enum": ["Feature"]},
                                      "geometry": {"type": "object", "nullable": True},
                                      "properties": {"type": "object", "nullable": True},
                                      "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                                      "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}}}},
    "featureCollectionGeoJSON": {
        "type": "object", "required": ["type", "features"],
        "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                       "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
                       "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
                       "numberMatched": {"type": "integer", "minimum": 0},
                       "numberReturned": {"type": "integer", "minimum": 0},
                       "timeStamp": {"type": "string"}}},
}
# -- versions, optimistic locking, as-of reads and the change feed (the feature store) -----------------------
_LINKS = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
SCHEMAS.update({
    "mergePatch": {
        "type": "object", "description": "A JSON merge patch (RFC 7396) of a feature: the properties it names "
        "are set, a property set to null is cleared; \"type\" and \"geometry\" may be left out (the geometry is "
        "then kept; it cannot be set to null).",
        "properties": {"type": {"type": "string", "enum": ["Feature"]}, "geometry": {"type": "object"},
                       "properties": {"type": "object"}}},
    "featureVersions": {
        "type": "object", "required": ["type", "versions", "links"],
        "properties": {"type": {"type": "string", "enum": ["FeatureVersions"]}, "collection": {"type": "string"},
                       "id": {"type": "integer"}, "numberReturned": {"type": "integer", "minimum": 0},
                       "links": _LINKS,
                       "versions": {"type": "array", "items": {
                           "type": "object", "required": ["version", "op", "links"],
                           "properties": {"version": {"type": "integer", "minimum": 1},
                                          "op": {"type": "string", "enum": ["insert", "update", "delete"]},
                                          "time": {"type": "string", "format": "date-time", "nullable": True},
                                          "source": {"type": "string", "nullable": True},
                                          "by": {"type": "string", "description": "Who made the version; only "
                                                 "for callers who may edit the collection"},
                                          "links": _LINKS}}}}},
    "reverted": {
        "type": "object", "required": ["id", "version"],
        "properties": {"id": {"type": "integer"}, "version": {"type": "integer"}, "deleted": {"type": "boolean"},
                       "links": _LINKS}},
    "gone": {"type": "object", "required": ["code"],
             "properties": {"code": {"type": "string"}, "description": {"type": "string"}, "links": _LINKS}},
    "changes": {
        "type": "object", "required": ["changes", "next", "more"],
        "properties": {
            "collection": {"type": "string"}, "next": {"type": "string"}, "more": {"type": "boolean"},
            "links": _LINKS,
            "changes": {"type": "array", "items": {
                "type": "object", "required": ["cursor", "op"],
                "properties": {"cursor": {"type": "string"},
                               "op": {"type": "string", "enum": ["insert", "update", "delete", "truncate"]},
                               "id": {"type": "integer", "nullable": True},
                               "version": {"type": "integer", "nullable": True},
                               "time": {"type": "string"},
                               "feature": {"type": "object", "nullable": True,
                                           "description": "The feature now (with its version), for an insert "
                                           "or update of a feature that still exists; null otherwise"}}}}}},
})
_ETAG = {"description": 'The feature\'s version as an entity tag ("3"; W/"3" when the answer is compressed)',
         "schema": {"type": "string"}}
HEADERS = {"ETag": _ETAG,
           "Location": {"description": "The new feature's URL", "schema": {"type": "string"}},
           "Link": {"description": "The last version of a deleted feature (rel=\"latest-version\")",
                    "schema": {"type": "string"}}}
_CONDITION = {"in": "header", "required": False, "schema": {"type": "string"}}
# datetime= is described in the operations' text, not listed as a parameter: a well-formed instant
# is still refused outside the history kept, which a parameter schema cannot say.
DATETIME_DESCRIPTION = (
    "As-of reads: datetime=2026-12-03T08:00:00Z (an RFC 3339 instant, with its offset) answers the data as "
    "it was at that instant, rebuilt from the change log (OGC API Features versioned features). On this server "
    "datetime is always this as-of instant, never a filter on a temporal property: filter date properties with "
    "their own parameters (e.g. decision_date=2024-05-01). Intervals, dates without a time and times without an "
    "offset are refused (400), as are instants before the history kept (GEO_CHANGE_LOG_RETENTION_DAYS) or "
    "before the collection was last emptied. With datetime, items take only bbox (CRS84), limit and offset and "
    "answer GeoJSON; a single feature deleted by then answers 410 (with a link to its last version), one not "
    "yet created 404.")
# OGC API Features Part 3 on the layers' items. GDAL's OAPIF driver (3.6) sends its attribute
# filters to the server only when filter-lang offers "cql-text" (read as cql2-text).
PARAMETERS_FILTER = [
    {"name": "filter", "in": "query", "required": False, "style": "form", "explode": False,
     "description": "A CQL2 filter on the collection's queryables (/queryables), e.g. "
                    "land_use_code = 'ODT' AND area_m2 > 500 or S_INTERSECTS(geometry, POINT(106.9 11.5)). "
                    "Functions other than CASEI, ACCENTI and the spatial predicates are refused (400).",
     "schema": {"type": "string", "maxLength": cql2.MAX_FILTER_LENGTH}},
    {"name": "filter-lang", "in": "query", "required": False, "style": "form", "explode": False,
     "description": "The language of filter: cql2-text (the default) or cql2-json; cql-text is read as cql2-text.",
     "schema": {"type": "string", "enum": [*cql2.LANGUAGES, *cql2.LANGUAGE_ALIASES], "default": "cql2-text"}},
    {"name": "filter-crs", "in": "query", "required": False, "style": "form", "explode": False,
     "description": "The CRS of the geometries in filter (default CRS84: longitude, latitude).",
     "schema": {"type": "string", "enum": list(cql2.FILTER_CRS), "default": cql2.CRS84}},
]
PARAMETERS_CONDITIONAL = {
    "If-Match": {**_CONDITION, "name": "If-Match", "description": 'Write only if the feature is still at one of '
                 'these versions ("3", W/"3", several separated by commas, or *); otherwise 412 with the current '
                 "ETag. Required (428 without it) when the server sets GEO_REQUIRE_IF_MATCH."},
    "If-None-Match": {**_CONDITION, "name": "If-None-Match", "description": "304 Not Modified when the feature "
                      "is still at one of these versions"},
}


def _document(schema_name: str, *types: str) -> dict:
    """JSON (in `types`), JSON-LD (its own shape: any object) and HTML renderings of one resource."""
    return {**_json({"$ref": f"#/components/schemas/{schema_name}"}, *types),
            "application/ld+json": {"schema": {"type": "object"}}, **_html()}


RESPONSES = {
    "LandingPage": {"description": "The landing page", "content": _document("landingPage", "application/json")},
    "Conformance": {"description": "The conformance classes", "content": _document("confClasses", "application/json")},
    "Collections": {"description": "The collections", "content": _document("collections", "application/json")},
    "Collection": {"description": "A collection", "content": _document("collection", "application/json")},
    "Features": {"description": "Features of a collection", "content": {
        **_json({"$ref": "#/components/schemas/featureCollectionGeoJSON"}, "application/geo+json", "application/json"),
        **_html()}},
    "Feature": {"description": "One feature", "content": {
        **_json({"$ref": "#/components/schemas/featureGeoJSON"}, "application/geo+json", "application/json"),
        **_html()}},
    "JsonSchema": {"description": "A JSON Schema of the collection's properties", "content": {
        "application/schema+json": {"schema": {"type": "object"}}, **_html()}},
    "InvalidParameter": _error("A query parameter or the body is not valid"),
    "Unauthorized": _error("Authentication required, or the access token is invalid"),
    "Forbidden": _error("The caller may not read or edit this collection or feature"),
    "NotFound": _error("The collection or feature does not exist"),
    "Conflict": _error("The feature conflicts with another one"),
    "PayloadTooLarge": _error("The body is larger than the server accepts"),
    "UriTooLong": {"description": "The request line is longer than the server accepts"},
    "ServerError": _error("A server error, with a reference to quote"),
    "VersionedFeature": {"description": "One feature, its version in the ETag header", "content": {
        **_json({"$ref": "#/components/schemas/featureGeoJSON"}, "application/geo+json", "application/json"),
        **_html()}, "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
    "NotModified": {"description": "The feature is unchanged since the version named by If-None-Match",
                    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
    "PreconditionFailed": {**_error("The feature changed since the version named by If-Match (ETag: the "
                                    "current version)"), "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
    "PreconditionRequired": _error("If-Match is required for this edit (the server sets GEO_REQUIRE_IF_MATCH)"),
    "UnsupportedMediaType": _error("The body's media type is not accepted here"),
    "Gone": {"description": "The feature was deleted: the body and the Link header link its last version "
                            "(rel latest-version)",
             "headers": {"Link": {"$ref": "#/components/headers/Link"}},
             "content": _json({"$ref": "#/components/schemas/gone"})},
}
# What the remote references of pygeoapi's document stand for here (by the last part of the URL).
_REMOTE = {"LandingPage": "#/components/responses/LandingPage", "Collection": "#/components/responses/Collection",
           "Features": "#/components/responses/Features", "Feature": "#/components/responses/Feature",
           "InvalidParameter": "#/components/responses/InvalidParameter",
           "NotFound": "#/components/responses/NotFound", "NotFound.yaml": "#/components/responses/NotFound",
           "ServerError": "#/components/responses/ServerError", "featureId": "#/components/parameters/featureId",
           "sortby.yaml": "#/components/parameters/sortby", "exception.yaml": "#/components/schemas/exception",
           "link": "#/components/schemas/link"}
FEATURE_FORMAT = {"name": "f", "in": "query", "required": False, "style": "form", "explode": False,
                  "description": "The output format: GeoJSON (json) or HTML",
                  "schema": {"type": "string", "enum": list(FEATURE_FORMATS), "default": "json"}}
PARAMETERS = {
    "featureId": {"name": "featureId", "in": "path", "required": True, "description": "The feature's id",
                  "schema": {"type": "string"}},
    "sortby": {"name": "sortby", "in": "query", "required": False, "style": "form", "explode": False,
               "description": "Comma-separated property names, each optionally prefixed with + or -",
               "schema": {"type": "string"}},
}


def _local(ref: str) -> str | None:
    return _REMOTE.get(ref.rsplit("/", 1)[-1]) if ref.startswith(("http://", "https://")) else ref


def _relink(node):
    """Every remote $ref replaced by its local component (dropped when there is none)."""
    if isinstance(node, dict):
        if "$ref" in node and isinstance(node["$ref"], str):
            local = _local(node["$ref"])
            return {"$ref": local} if local else {"description": "(see the OGC API standard)"}
        return {k: _relink(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_relink(v) for v in node]
    return node


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def _tiles_paths(layers, tile_matrix_sets: tuple[str, ...]) -> dict:
    """OGC API Tiles operations (served by tiles/, not pygeoapi): the vector tilesets of each layer
    and the tile matrix sets, so the document is the whole API (conformance class oas30 of Tiles)."""
    if not tile_matrix_sets:
        return {}
    json_only = {"application/json": {"schema": {"type": "object"}}}
    tms = {"name": "tileMatrixSetId", "in": "path", "required": True, "description": "A tile matrix set",
           "schema": {"type": "string", "enum": list(tile_matrix_sets)}}
    coordinates = [{"name": name, "in": "path", "required": True, "description": description,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}
                   for name, description in (("tileMatrix", "Zoom level"), ("tileRow", "Row, from the top"),
                                             ("tileCol", "Column, from the left"))]

    def get(operation_id, summary, ok, parameters=()):
        return {"get": {"tags": ["Tiles"], "operationId": operation_id, "summary": summary,
                        "parameters": list(parameters), "responses": {"200": ok}}}

    paths = {
        "/tileMatrixSets": get("getTileMatrixSetsList", "The tile matrix sets offered",
                               {"description": "The tile matrix sets", "content": json_only}),
        "/tileMatrixSets/{tileMatrixSetId}": get("getTileMatrixSet", "A tile matrix set, level by level",
                                                 {"description": "The definition", "content": json_only}, [tms]),
    }
    for spec in layers:
        base = f"/collections/{spec.id}/tiles"
        paths[base] = get(f"getTilesets.{spec.id}", f"Vector tilesets of {spec.title_en}",
                          {"description": "The tilesets", "content": json_only})
        paths[base + "/{tileMatrixSetId}"] = get(f"getTileset.{spec.id}", f"A vector tileset of {spec.title_en}",
                                                 {"description": "The tileset", "content": json_only}, [tms])
        tile = {"description": "A Mapbox vector tile (empty below the layer's first zoom)", "content": {
            "application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "format": "binary"}}}}
        paths[base + "/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"] = get(
            f"getTile.{spec.id}", f"A vector tile of {spec.title_en}", tile, [tms, *coordinates])
    return paths


def _json_only(description: str, schema_name: str, *types: str) -> dict:
    return {"description": description, "content": _json({"$ref": f"#/components/schemas/{schema_name}"}, *types)}


def _feature_store_paths(layers) -> dict:
    """The versions of each layer's features, reverting one, and the layer's change feed (served by
    ogcapi/versions.py and ogcapi/changes.py, not pygeoapi)."""
    feature_id = {"$ref": "#/components/parameters/featureId"}
    version = {"name": "version", "in": "path", "required": True, "description": "A version of the feature",
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
    json_format = {"name": "f", "in": "query", "required": False, "description": "The output format (JSON only)",
                   "schema": {"type": "string", "enum": ["json"]}}
    paging = [{"name": "limit", "in": "query", "required": False, "description": "How many versions (oldest "
               "first)", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
              {"name": "offset", "in": "query", "required": False, "description": "How many versions to skip",
               "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}}]
    paths = {}
    for spec in layers:
        item = f"/collections/{spec.id}/items/{{featureId}}"
        paths[item + "/versions"] = {"get": {
            "tags": [spec.id], "operationId": f"getVersions.{spec.id}",
            "summary": f"The versions of a feature of {spec.title_en}: time, operation, source (and who, for "
                       "callers who may edit the collection), oldest first",
            "parameters": [feature_id, json_format, *paging],
            "responses": {"200": _json_only("The versions", "featureVersions")}}}
        paths[item + "/versions/{version}"] = {"get": {
            "tags": [spec.id], "operationId": f"getVersion.{spec.id}",
            "summary": f"One version of a feature of {spec.title_en}, as it was (410 for a deletion)",
            "parameters": [feature_id, version, json_format],
            "responses": {"200": _json_only("That version", "featureGeoJSON", "application/geo+json"),
                          "410": _ref("Gone")}}}
        if spec.edit_roles:
            paths[item + "/versions/{version}/revert"] = {"post": {
                "tags": [spec.id], "operationId": f"revertFeature.{spec.id}",
                "summary": f"Revert a feature of {spec.title_en} to an earlier version, as a new version "
                           "(editors of the collection only; reverting to a deletion deletes it again)",
                "parameters": [feature_id, version, {"$ref": "#/components/parameters/If-Match"}],
                "responses": {"200": {**_json_only("Reverted: the feature's new version", "reverted"),
                                      "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
                              "412": _ref("PreconditionFailed"), "428": _ref("PreconditionRequired")}}}
        paths[f"/collections/{spec.id}/changes"] = {"get": {
            "tags": [spec.id], "operationId": f"getChanges.{spec.id}",
            "summary": f"The change feed of {spec.title_en}: inserts, updates and deletions in commit order, "
                       "paged by an opaque cursor",
            # `since` is described here, not listed as a parameter: a well-formed cursor this server never
            # handed out is refused (400), which no parameter schema can say.
            "description": "since=(a cursor): the changes after it, the next value of an earlier answer "
                           "(opaque; a cursor this server did not hand out is refused with 400). Without since, "
                           "the feed starts at the oldest change kept. since=latest answers no changes, only the "
                           "current cursor: take it before a full copy through items, then follow the feed with "
                           "each answer's next. A cursor older than the history kept answers 410: make a full "
                           "copy again (as after a truncate entry).",
            "parameters": [
                {"name": "limit", "in": "query", "required": False, "description": "How many changes at most; "
                 f"values above {settings.GEO_CHANGES_MAX_LIMIT} are reduced to it",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 10**19 - 1,
                            "default": settings.GEO_CHANGES_DEFAULT_LIMIT}}],
            "responses": {"200": _json_only("Changes after the cursor", "changes"),
                          "410": _error("The cursor is older than the history kept: resynchronise")}}}
    return paths


def _conditional(path: str, method: str, operation: dict) -> None:
    """ETags, If-Match / If-None-Match and their answers on a feature's operations; datetime on reads."""
    responses, parameters = operation["responses"], operation.setdefault("parameters", [])
    etag = {"ETag": {"$ref": "#/components/headers/ETag"}}
    single = path.endswith("/items/{featureId}")
    if method == "get":
        operation["description"] = (operation.get("description", "") + "\n\n" + DATETIME_DESCRIPTION).strip()
        if single:
            parameters.append({"$ref": "#/components/parameters/If-None-Match"})
            responses["200"] = _ref("VersionedFeature")
            responses["304"] = _ref("NotModified")
            responses["410"] = _ref("Gone")
    elif method == "post":
        responses["201"] = {"description": "Created", "headers": {**etag, "Location": {
            "$ref": "#/components/headers/Location"}}}
    elif method in ("put", "patch", "delete"):
        parameters.append({"$ref": "#/components/parameters/If-Match"})
        responses.pop("200", None)
        responses["204"] = {"description": "Deleted" if method == "delete" else "Saved: the feature's new version",
                            **({} if method == "delete" else {"headers": etag})}
        responses["412"] = _ref("PreconditionFailed")
        responses["428"] = _ref("PreconditionRequired")
    if method == "patch":
        responses["415"] = _ref("UnsupportedMediaType")
        content = operation["requestBody"]["content"]
        merge = {"schema": {"$ref": "#/components/schemas/mergePatch"}}
        content["application/merge-patch+json"] = merge
        content["application/json"] = merge
        operation["description"] = ("application/merge-patch+json (and application/json): a JSON merge patch; "
                                    "application/geo+json: a partial Feature whose null geometry means unchanged.")


def truthful(document: dict, layers=(), tile_matrix_sets: tuple[str, ...] = ()) -> dict:
    """A corrected copy of pygeoapi's OpenAPI document (see the module docstring); the property
    filters of `layers` (LayerSpecs) are typed by their model fields, as the server checks them; the
    vector tiles of `layers` in `tile_matrix_sets` are described too."""
    filters = {f"/collections/{spec.id}/items": {name: property_schema(field)
                                                  for name, field in property_fields(spec).items()}
               for spec in layers}
    oas = _relink(copy.deepcopy(document))
    components = oas.setdefault("components", {})
    components.setdefault("schemas", {}).update(SCHEMAS)
    components.setdefault("responses", {}).update(RESPONSES)
    components.setdefault("parameters", {}).update(PARAMETERS)
    components["parameters"].pop("vendorSpecificParameters", None)
    components["responses"]["default"] = _error("An error")
    components["parameters"]["lang"]["schema"] = {"type": "string", "default": "vi", **_TEXT,
                                                  "description": "vi or en; other values fall back to vi"}
    if "bbox" in components["parameters"]:
        number = {"type": "number"}
        components["parameters"]["bbox"]["schema"] = {"oneOf": [
            {"type": "array", "minItems": 4, "maxItems": 4, "items": number},
            {"type": "array", "minItems": 6, "maxItems": 6, "items": number}]}
    if "offset" in components["parameters"]:
        components["parameters"]["offset"]["schema"] = {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET,
                                                        "default": 0}
    for name in ("crs", "bbox-crs"):
        if name in components["parameters"]:
            components["parameters"][name]["schema"] = {"type": "string", "enum": list(OUTPUT_CRS)}
    # pygeoapi's process job routes are not served by this platform (yet).
    oas["paths"] = {path: item for path, item in oas.get("paths", {}).items()
                    if not path.startswith(("/jobs", "/processes"))}
    oas["paths"].update(_tiles_paths(layers, tile_matrix_sets))
    oas["paths"].update(_feature_store_paths(layers))
    components.setdefault("headers", {}).update(HEADERS)
    components["parameters"].update(PARAMETERS_CONDITIONAL)
    for path, item in oas["paths"].items():
        item.pop("options", None)  # not served
        if "put" in item and "patch" not in item:  # PATCH (a partial update) is served beside PUT
            patch = copy.deepcopy(item["put"])
            patch["operationId"] = patch.get("operationId", "update").replace("update", "patch", 1)
            patch["summary"] = patch.get("summary", "").replace("Update", "Partially update", 1)
            patch["requestBody"]["content"]["application/merge-patch+json"] = {"schema": {}}
            item["patch"] = patch
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["parameters"] = [p for p in operation.get("parameters", [])
                                       if p.get("$ref") != "#/components/parameters/vendorSpecificParameters"
                                       and p.get("name") not in ("filter", "filter-lang", "filter-crs")]
            if path in filters and method == "get":
                operation["parameters"] += copy.deepcopy(PARAMETERS_FILTER)
            if path.endswith("/queryables"):
                operation["parameters"] = [p for p in operation["parameters"] if p.get("name") != "properties"]
            if "/items" in path:
                operation["parameters"] = [FEATURE_FORMAT if p.get("$ref") == "#/components/parameters/f" else p
                                           for p in operation["parameters"]]
                names = next((p["schema"]["items"]["enum"] for p in operation["parameters"]
                              if p.get("name") == "properties"), None)
                if names:  # sortby: one or more of the collection's properties, each with an optional sign
                    one = f"[+-]?({'|'.join(names)})"
                    operation["parameters"] = [
                        {**PARAMETERS["sortby"], "schema": {"type": "string", "pattern": f"^{one}(,{one})*$"}}
                        if p.get("$ref") == "#/components/parameters/sortby" else p for p in operation["parameters"]]
            for parameter in operation["parameters"]:
                if parameter.get("in") == "query" and parameter.get("name") in filters.get(path, {}):
                    parameter["schema"] = dict(filters[path][parameter["name"]])
                schema = parameter.get("schema", {})
                if schema.get("type") == "string" and "enum" not in schema and "pattern" not in schema:
                    schema.update(_TEXT)
                if schema.get("type") == "array":
                    schema["minItems"] = 1
                if parameter.get("name") == "limit" and path.endswith("/items"):
                    parameter["schema"]["maximum"] = MAX_LIMIT
                    parameter["description"] += " Values above the maximum page size are reduced to it."
            responses = operation["responses"]
            responses["414"] = _ref("UriTooLong")
            if path == "/conformance":
                responses["200"] = _ref("Conformance")
            elif path == "/collections" and method == "get":
                responses["200"] = _ref("Collections")
            elif path.endswith(("/schema", "/queryables")):
                responses["200"] = _ref("JsonSchema")
            for status, name in (("400", "InvalidParameter"), ("401", "Unauthorized"), ("500", "ServerError")):
                responses[status] = _ref(name)
            if path.startswith("/collections/"):
                responses["403"] = _ref("Forbidden")
                responses["404"] = _ref("NotFound")
            if path.startswith("/tileMatrixSets/"):
                responses["404"] = _ref("NotFound")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                media["schema"] = {"$ref": "#/components/schemas/featureGeoJSON"}
            if method in ("post", "put", "patch", "delete"):
                responses["403"] = _ref("Forbidden")
                responses["404"] = _ref("NotFound")
                responses["409"] = _ref("Conflict")
                responses["413"] = _ref("PayloadTooLarge")
                operation.setdefault("security", [{"bearer": []}])
    for spec in layers:
        for suffix in ("/items", "/items/{featureId}"):
            for method, operation in oas["paths"].get(f"/collections/{spec.id}{suffix}", {}).items():
                if isinstance(operation, dict) and "responses" in operation:
                    _conditional(f"/collections/{spec.id}{suffix}", method, operation)
    components.setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    # Tags no operation uses (coverages, processes, jobs ... of pygeoapi's template) are not listed.
    used = {tag for item in oas["paths"].values() for operation in item.values() if isinstance(operation, dict)
            for tag in operation.get("tags", [])}
    oas["tags"] = [tag for tag in oas.get("tags", []) if tag.get("name") in used]
    if "Tiles" in used and not any(tag.get("name") == "Tiles" for tag in oas["tags"]):
        oas["tags"].append({"name": "Tiles", "description": "OGC API Tiles: vector tiles (MVT) of every layer"})
    return oas
