x = 1.0
xs = [x]
for i in range(60):
    xs = xs + xs
L = x * 2
