# Generates the body of src/rv64m.S (expected values from a reference model of the M extension).
M=(1<<64)-1
def s64(x): x&=M; return x-(1<<64) if x>>63 else x
def s32(x): x&=0xffffffff; return x-(1<<32) if x>>31 else x
def sx32(x): return s32(x)&M
def tdiv(a,b): q=abs(a)//abs(b); return q if (a<0)==(b<0) else -q
def trem(a,b): return a - b*tdiv(a,b)
ops={
 'mul':lambda a,b:(a*b)&M,
 'mulh':lambda a,b:((s64(a)*s64(b))>>64)&M,
 'mulhu':lambda a,b:((a*b)>>64)&M,
 'mulhsu':lambda a,b:((s64(a)*b)>>64)&M,
 'mulw':lambda a,b:sx32(a*b),
 'div':lambda a,b:M if b==0 else (a if (s64(a)==-(1<<63) and s64(b)==-1) else tdiv(s64(a),s64(b))&M),
 'divu':lambda a,b:M if b==0 else a//b,
 'rem':lambda a,b:a if b==0 else (0 if (s64(a)==-(1<<63) and s64(b)==-1) else trem(s64(a),s64(b))&M),
 'remu':lambda a,b:a if b==0 else a%b,
 'divw':lambda a,b:M if (b&0xffffffff)==0 else (sx32(a) if (s32(a)==-(1<<31) and s32(b)==-1) else sx32(tdiv(s32(a),s32(b)))),
 'divuw':lambda a,b:M if (b&0xffffffff)==0 else sx32((a&0xffffffff)//(b&0xffffffff)),
 'remw':lambda a,b:sx32(a) if (b&0xffffffff)==0 else (0 if (s32(a)==-(1<<31) and s32(b)==-1) else sx32(trem(s32(a),s32(b)))),
 'remuw':lambda a,b:sx32(a) if (b&0xffffffff)==0 else sx32((a&0xffffffff)%(b&0xffffffff)),
}
MIN=1<<63
vals={
 'mul':[(3,7),(M,M),(MIN,M),(0x123456789abcdef0,0x0fedcba987654321),(0,M),(0x7fffffffffffffff,2)],
 'mulh':[(M,M),(M,1),(MIN,MIN),(0x7fffffffffffffff,0x7fffffffffffffff),(MIN,0x7fffffffffffffff),(0x123456789abcdef0,0x0fedcba987654321),(2,3)],
 'mulhu':[(M,M),(MIN,2),(0x123456789abcdef0,0xfedcba9876543210),(1,M),(M,0)],
 'mulhsu':[(M,M),(M,1),(1,M),(MIN,M),(0x7fffffffffffffff,M),(0xfffffffffffffffe,0x8000000000000000)],
 'mulw':[(0x7fffffff,2),(0x100000003,0x100000005),(0xffffffff,0xffffffff),(0x10000,0x10000),(0x12345678,0x9abcdef0)],
 'div':[(20,6),((-20)&M,6),(20,(-6)&M),((-20)&M,(-6)&M),(20,0),((-20)&M,0),(MIN,M),(MIN,1),(0,5),(5,7)],
 'divu':[(20,6),((-20)&M,6),(20,0),(MIN,M),(M,1),(M,M)],
 'rem':[(20,6),((-20)&M,6),(20,(-6)&M),((-20)&M,(-6)&M),(20,0),((-20)&M,0),(MIN,M),(MIN,1)],
 'remu':[(20,6),((-20)&M,6),(20,0),(MIN,M),(M,0)],
 'divw':[(20,6),((-20)&0xffffffff,6),(0xffffffff80000000,M),(0x80000000,M),(0x1234567800000014,0xabcdef0000000006),(20,0),(20,0xffffffff00000000),(0x7fffffff,1)],
 'divuw':[(0x80000000,1),((-20)&M,6),(20,0),(0xffffffff,1),(0xffffffff,0xffffffff),(0x1234567800000014,0x0000000100000003)],
 'remw':[(20,6),((-20)&M,6),(20,(-6)&M),(0x80000000,M),(0x80000000,0),(0x1234567880000001,0),(0x1234567800000014,0xabcdef0000000006)],
 'remuw':[(20,6),((-20)&M,6),(0x80000000,0),(0x1234567880000001,0),(0xffffffff,7)],
}
n=0
out=[]
for op,vs in vals.items():
    out.append(f'    /* {op} */')
    for a,b in vs:
        n+=1
        out.append(f'    TEST_RR({n}, {op}, {hex(ops[op](a,b))}, {hex(a)}, {hex(b)})')
# extra: rd == rs1 and rd == rs2 forms
n+=1; out.append(f'    TEST_RR_SRC1({n}, mul, 143, 11, 13)')
n+=1; out.append(f'    TEST_RR_SRC12({n}, div, 1, 0x55)')
n+=1; out.append(f'    TEST_RR_SRC12({n}, rem, 0, 0x55)')
n+=1; out.append(f'    TEST_RR_ZERODEST({n}, mul, 3, 4)')
n+=1; out.append(f'    TEST_RR_ZERODEST({n}, div, 3, 0)')
print('\n'.join(out))
