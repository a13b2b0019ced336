x = 1.0
xs = [0.0]
for i in range(60):
    xs = xs + xs
L = x * 2
