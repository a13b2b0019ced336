x = 1.0
k = 0
for i in range(1):
    k = 1 / i
L = x * k
