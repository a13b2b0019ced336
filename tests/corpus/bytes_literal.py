x = 1.0
b = b'abc'
L = x * 2
