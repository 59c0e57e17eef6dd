"""Stage 3, the models: fitting win models on a time split (``fitting``), the candidate the
registry weighs against its champion (``champion``), and the forecast of the next race day
from the champion (``forecasting``)."""
