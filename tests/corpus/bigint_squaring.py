x = 1.0
for i in range(3, 4):
    k = i ** 1000
    for r in range(40):
        k = k * k
L = x * k
