x = 1.0
for w in [x, x]:
    x = x * w
