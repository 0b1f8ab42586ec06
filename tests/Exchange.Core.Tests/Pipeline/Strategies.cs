using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>Dispatches a test written once, generically, to each wait strategy type.</summary>
internal static class Strategies
{
    public interface ITest
    {
        void Run<TWait>(TWait waitStrategy)
            where TWait : struct, IWaitStrategy;
    }

    public static void Run<TTest>(WaitKind kind, TTest test)
        where TTest : ITest
    {
        switch (kind)
        {
            case WaitKind.BusySpin:
                test.Run(new BusySpinWaitStrategy());
                break;
            case WaitKind.Yielding:
                test.Run(new YieldingWaitStrategy());
                break;
            case WaitKind.Blocking:
                test.Run(new BlockingWaitStrategy());
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
