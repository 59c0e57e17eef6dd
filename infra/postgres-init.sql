-- The MLflow tracking store lives next to Prefect's database (POSTGRES_DB=prefect).
CREATE DATABASE mlflow OWNER keiba;
