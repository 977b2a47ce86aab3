"""Live push: a layer's changes as Server-Sent Events, from the change log (issue 11).

For domain apps (one call, in an async view under /live/, which geo/asgi.py serves on the event loop):

    from live.streams import event_stream

    async def incident_events(request):
        ...check that request's user may read the layer (sync_to_async around the selector)...
        return await event_stream(request, spec=registry.get("incidents"),
                                  accept=lambda entry: entry["feature_id"] == wanted,
                                  render=lambda entry: {...} or None)

- `entry` is a dict: {"cursor": "txid.id", "op": "I"|"U"|"D"|"T", "feature_id": int | None,
  "version": int | None, "at": ISO 8601 UTC, "feature": the current GeoJSON Feature (with its
  "version") for I/U while it exists, else None}. `accept(entry) -> bool` filters, `render(entry)
  -> dict | None` shapes the event's data (None skips it). Both run on the hub's thread for every
  change of the layer: they must be quick and must not query the database per change.
- Each event is `event: change`, `data:` the JSON of render's result, `id:` a cursor from which
  resuming loses nothing. Browsers' EventSource resumes by itself (it sends `Last-Event-ID`); other
  clients send that header or `?since=<cursor>` (or `since=latest`). A resumed stream first replays
  what the client missed, then goes live; a change may come twice (once "ahead" of the cursor, see
  live/hub.py): clients keep the highest version per feature.
- `event: reload` (data {"reason", "message", "since"}): the client's cursor is older than the log
  still holds (compaction) or too far behind; reload the data, the stream goes on from "since".
- A malformed cursor answers 400; too many streams in the process 503 with Retry-After. A comment
  line every GEO_LIVE_HEARTBEAT_SECONDS (15) keeps quiet streams open; a client that does not read
  its events (GEO_LIVE_QUEUE_SIZE queued) is disconnected and resumes by Last-Event-ID.

GET /live/collections/<layer id> streams a whole layer's entries as they are, to whoever may read
it (the OGC API's rule: 404 anonymous, 403 without the role).
"""
