"""`aigw init`: a new project that uses the installed aigw (aigw/cli/init.py is the command).

* :mod:`.project` validates the options and renders every file from the templates in
  ``aigw/init/templates`` (package data), in memory;
* :mod:`.write` checks the target (empty, or --force: only files that do not exist), then writes every
  file at once, never over an existing one, with the Logpush key pair of aigw/logexport when asked.
"""

from __future__ import annotations
