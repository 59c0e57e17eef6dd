from toy.hooks import EventLog

HOOKS = (EventLog(),)
# kedro-mlflow is installed beside the plugin in this repository; the toy project is
# the one that does not track (a test adds mlflow.yml to a copy to track it).
DISABLE_HOOKS_FOR_PLUGINS = ("kedro-mlflow", "kedro_mlflow")
