"""The CrossGuard pack: only builds it. Rules live in aigw_policy/ (shared with `aigw check`)."""

from aigw_policy.pack import serve

serve()
