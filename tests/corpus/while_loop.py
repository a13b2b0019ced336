x = 1.0
while True:
    x = x * 2
