x = 1.5
L = x * x
name = f"{L:.3f}"
print(f"L = {L:.3f}, x = {x:>8.2e}, y = {y:.2f}")
M = L * y
