// Placeholder source for the harness's dummy firmware targets; never compiled.
int main(void) {
    return 0;
}
