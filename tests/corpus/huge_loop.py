x = 1.0
for i in range(1000000000):
    x = x * 1.0001
