"""Work on a thread of its own: its own database connection, so what it writes is committed (a test's
own writes roll back and no other process would see them)."""
import threading

from django.db import connection


def in_thread(work, *args, **kwargs):
    """Run `work(*args, **kwargs)` on a thread of its own and return its result (or raise its error)."""
    result = {}

    def run():
        try:
            result["value"] = work(*args, **kwargs)
        except BaseException as error:  # handed to the test
            result["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
