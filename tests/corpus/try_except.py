x = 1.0
try:
    L = x * 2
except Exception:
    pass
