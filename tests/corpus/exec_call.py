x = 1.0
exec("open('pathgrad_pwned.txt', 'w')")
L = x * 2
