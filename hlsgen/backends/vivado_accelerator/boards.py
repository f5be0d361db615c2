"""Boards moved to :mod:`hlsgen.boards` (usable by every backend); this name stays for old imports."""
from ...boards import *  # noqa: F401,F403
from ...boards import BoardFileError, load_board_file  # noqa: F401
