from toy.hooks import EventLog

HOOKS = (EventLog(),)
