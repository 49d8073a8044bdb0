print("vidpipe-bench")
