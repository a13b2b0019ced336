w = 1.0
if y > 0:
    L = w * y
else:
    L = -w * y
