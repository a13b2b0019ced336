x = 1.0
v = getattr(x, 'value')
L = x * 2
