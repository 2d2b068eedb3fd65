"""The Matrix adapter: `MatrixPlatform` (platform.py) on matrix-nio with end-to-end
encryption, and what it needs beside nio: cross-signing (crosssigning.py, keyvault.py, ssss.py,
signing.py), the calls nio does not wrap (api.py), direct rooms (direct.py, rooms.py), room
upgrades (upgrades.py), the pace after a 429 (pacing.py), text and commands (text.py) and
messages waiting for their keys (undecryptable.py)."""

from __future__ import annotations

from bot.adapters.matrix.platform import MatrixPlatform, MatrixTuning

__all__ = ["MatrixPlatform", "MatrixTuning"]
