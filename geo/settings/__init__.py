"""Settings, split by concern. Everything is read from the environment; see README.md."""
from .base import *  # noqa: F401,F403
from .database import *  # noqa: F401,F403
from .security import *  # noqa: F401,F403
from .identity import *  # noqa: F401,F403
from .limits import *  # noqa: F401,F403
