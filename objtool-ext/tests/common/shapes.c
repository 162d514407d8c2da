// SPDX-License-Identifier: GPL-2.0
/*
 * Correct shapes as the compiler makes them, built with each
 * architecture's kernel flags: every function here must pass objtool-ext
 * clean. Loops, switches (jump tables), tail calls, calls that never
 * return, recursion, many saved registers, large frames.
 */
extern int helper(int);
extern void sink(void *);
extern void panic(const char *fmt, ...) __attribute__((noreturn));

int shape_leaf(int x)
{
	return x * 3 + 1;
}

int shape_tail(int x)
{
	return helper(x + 1);
}

int shape_call_then_tail(int x)
{
	int y = helper(x);

	return helper(y + x);
}

int shape_loop(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += helper(i);
	return s;
}

int shape_switch(int x)
{
	switch (x) {
	case 0: return helper(10);
	case 1: return helper(11) + 1;
	case 2: return helper(12) * 2;
	case 3: return 7;
	case 4: return helper(x) - 4;
	case 5: sink(&x); return x;
	case 6: return helper(helper(x));
	case 7: return 9;
	default: return -1;
	}
}

void shape_noreturn(int x)
{
	if (x < 0)
		panic("negative %d", x);
	helper(x);
}

void shape_trap(int x)
{
	if (x == 42)
		__builtin_trap();
	sink(&x);
}

int shape_recursive(int n)
{
	return n <= 1 ? 1 : n * shape_recursive(n - 1);
}

int shape_many_regs(int a, int b, int c, int d, int e, int f)
{
	int x = helper(a), y = helper(b), z = helper(c);
	int u = helper(d), v = helper(e), w = helper(f);

	return x + y + z + u + v + w + helper(x ^ y ^ z ^ u ^ v ^ w);
}

int shape_large_frame(int i)
{
	char buf[6000];

	buf[i & 4095] = (char)i;
	sink(buf);
	return buf[100];
}

int shape_early_exit(int *p)
{
	if (!p)
		return 0;
	*p = helper(*p);
	return 1;
}
