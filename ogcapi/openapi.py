"""The OpenAPI document made truthful: pygeoapi's generated document points at schemas on the
internet (unreachable on the province network) and lists fewer answers than the server gives. Here
every remote reference becomes a local component, each operation lists the statuses and media types
it really answers with, /conformance has its own schema, and parameters the server refuses
(vendor-specific ones, CQL2 filters) are not advertised. Schemathesis checks responses against it."""
from __future__ import annotations

import copy

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
                if parameter.get("name") == "limit":
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
    components.setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    # Tags no operation uses (coverages, processes, jobs ... of pygeoapi's template) are not listed.
    used = {tag for item in oas["paths"].values() for operation in item.values() if isinstance(operation, dict)
            for tag in operation.get("tags", [])}
    oas["tags"] = [tag for tag in oas.get("tags", []) if tag.get("name") in used]
    if "Tiles" in used and not any(tag.get("name") == "Tiles" for tag in oas["tags"]):
        oas["tags"].append({"name": "Tiles", "description": "OGC API Tiles: vector tiles (MVT) of every layer"})
    return oas
