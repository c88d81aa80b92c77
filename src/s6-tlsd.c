int main(void)
{
	return 111;
}
