"""The command line: pull, push, status, resolve. Exit status 0 when everything went through,
2 when some edits conflict with the server's (listed in sync_conflicts), 1 on any error."""
from __future__ import annotations

import argparse
import os
import sys

import requests

from .api import ApiError, Platform
from .mirror import CONFLICTS, Mirror, SyncError

OK, ERRORS, CONFLICTED = 0, 1, 2


def whole(number: int) -> str:
    """1234 -> "1.234", thousands the Vietnamese way (the English half of a message writes 1,234)."""
    return f"{number:,}".replace(",", ".")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="geosync", description=(
        "Đồng bộ một lớp của nền tảng GIS với tệp GeoPackage. / Keep a GeoPackage mirror of a platform layer."))
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str, *, network: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("--gpkg", required=True, help="the GeoPackage file")
        sub.add_argument("--layer", help="its feature table (default: the collection id, or the only one)")
        if network:
            sub.add_argument("--url", help="the OGC API, e.g. https://gis.example/ogcapi (default: as pulled)")
            sub.add_argument("--collection", help="the collection id, e.g. water_valves (default: as pulled)")
            sub.add_argument("--client-id", default=os.environ.get("GEOSYNC_CLIENT_ID"),
                             help="machine client id (default: $GEOSYNC_CLIENT_ID)")
            sub.add_argument("--client-secret", default=os.environ.get("GEOSYNC_CLIENT_SECRET"),
                             help="its secret (default: $GEOSYNC_CLIENT_SECRET; prefer the variable)")
            sub.add_argument("--token-url", help="token endpoint (default: from the platform's discovery document)")
            sub.add_argument("--timeout", type=float, default=120, help="seconds per HTTP request")
        return sub

    pull = command("pull", "Kéo thay đổi từ máy chủ về tệp. / Bring the server's changes into the GeoPackage.")
    pull.add_argument("--page-size", type=int, default=1000, help="features or changes per request")
    command("push", "Gửi các sửa đổi cục bộ lên máy chủ. / Send the local edits to the server.")
    command("status", "Các sửa đổi chưa gửi và xung đột. / Unsent edits and open conflicts.", network=False)
    resolve = command("resolve", "Giải quyết xung đột của một dòng. / Resolve the conflicts of one row.")
    resolve.add_argument("--fid", type=int, required=True, help="the row (fid) in the GeoPackage")
    resolve.add_argument("--keep", choices=("server", "local"), required=True,
                         help="server: take the server's feature; local: send the local edit at the next push")
    return parser


def _open(args) -> tuple[Mirror, str | None, str | None]:
    """The mirror, and the API and collection to talk to (as given, else as saved at the last pull)."""
    if args.command != "pull" and not os.path.exists(args.gpkg):
        raise SyncError(f"Không có tệp {args.gpkg}. / No such file: {args.gpkg}.")
    collection = getattr(args, "collection", None)
    mirror = Mirror.open(args.gpkg, args.layer or collection)
    state = mirror.state() or {}
    return mirror, getattr(args, "url", None) or state.get("url"), collection or state.get("collection")


def _platform(args, url: str | None, collection: str | None, scope: str) -> Platform:
    if not url or not collection:
        raise SyncError("Cần --url và --collection cho lần kéo đầu tiên. / --url and --collection are needed the "
                        "first time.")
    return Platform(url, client_id=args.client_id, client_secret=args.client_secret, scope=scope,
                    token_url=args.token_url, timeout=args.timeout)


def pull(args) -> int:
    mirror, url, collection = _open(args)
    try:
        pulled = mirror.pull(_platform(args, url, collection, "read"), collection, page_size=args.page_size)
    finally:
        mirror.close()
    i, u, d, k = pulled.inserted, pulled.updated, pulled.deleted, pulled.kept_local
    lead_vi = f"Đã sao chép toàn bộ {whole(pulled.copied)} đối tượng; " if pulled.copied is not None else ""
    lead_en = f"Copied all {pulled.copied:,} features; " if pulled.copied is not None else ""
    print(f"{lead_vi}{collection} → {args.gpkg}: thêm {whole(i)}, sửa {whole(u)}, xóa {whole(d)}, giữ {whole(k)} "
          f"bản sửa cục bộ chưa gửi. / {lead_en}{collection} → {args.gpkg}: {i:,} inserted, {u:,} updated, "
          f"{d:,} deleted, {k:,} unsent local edits kept.")
    return OK


def push(args) -> int:
    mirror, url, collection = _open(args)
    try:
        pushed = mirror.push(_platform(args, url, collection, "read write"), collection)
    finally:
        mirror.close()
    for problem in pushed.conflicts + pushed.errors:
        print(f"fid {problem.fid}: {problem.message}", file=sys.stderr)
    c, u, d, x, e = pushed.created, pushed.updated, pushed.deleted, len(pushed.conflicts), len(pushed.errors)
    print(f"{args.gpkg} → {collection}: thêm {whole(c)}, sửa {whole(u)}, xóa {whole(d)}; {whole(x)} xung đột, "
          f"{whole(e)} lỗi (xem bảng {CONFLICTS}). / {c:,} created, {u:,} updated, {d:,} deleted; {x:,} conflicts, "
          f"{e:,} errors (see table {CONFLICTS}).")
    return ERRORS if pushed.errors else CONFLICTED if pushed.conflicts else OK


def status(args) -> int:
    mirror, _, collection = _open(args)
    try:
        pending = mirror.pending()
    finally:
        mirror.close()
    n, e, d, x = pending.new, pending.edited, pending.deleted, pending.conflicts
    print(f"{args.gpkg} ({collection}): chưa gửi {whole(n)} dòng mới, {whole(e)} dòng sửa, {whole(d)} dòng xóa; "
          f"{whole(x)} xung đột chưa giải quyết. / unsent: {n:,} new, {e:,} edited, {d:,} deleted rows; {x:,} open "
          "conflicts.")
    return CONFLICTED if pending.conflicts else OK


def resolve(args) -> int:
    mirror, url, collection = _open(args)
    try:
        mirror.resolve(_platform(args, url, collection, "read"), collection, args.fid, args.keep)
    finally:
        mirror.close()
    if args.keep == "server":
        print(f"fid {args.fid}: đã lấy bản của máy chủ. / took the server's feature.")
    else:
        print(f"fid {args.fid}: bản sửa cục bộ sẽ được gửi ở lần push sau. / the local edit goes with the next push.")
    return OK


COMMANDS = {"pull": pull, "push": push, "status": status, "resolve": resolve}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ApiError, SyncError, ValueError) as error:
        print(f"Lỗi / Error: {error}", file=sys.stderr)
        if isinstance(error, ApiError) and error.status in (401, 403, 404) and not getattr(args, "client_id", "x"):
            print("Chưa có thông tin client (GEOSYNC_CLIENT_ID, GEOSYNC_CLIENT_SECRET): lớp nội bộ không hiện với "
                  "người ẩn danh. / No client credentials given (GEOSYNC_CLIENT_ID, GEOSYNC_CLIENT_SECRET): internal "
                  "layers are invisible anonymously.", file=sys.stderr)
    except requests.RequestException as error:
        print(f"Không kết nối được máy chủ. / Cannot reach the server: {error}", file=sys.stderr)
    return ERRORS
