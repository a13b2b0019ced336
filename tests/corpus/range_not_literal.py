x = 1.0
n = 3
for i in range(n):
    x = x * 2
