x = 1.0
b = __builtins__
L = x * 2
