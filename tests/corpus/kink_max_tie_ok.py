a = 1.0
b = 1.0
L = max(a, b) * 3
