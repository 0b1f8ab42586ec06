using Exchange.Core.Events;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>One <see cref="Core.Pipeline.IOutputHandler.OnEvents"/> call, with a copy of its events.</summary>
internal sealed record Delivery(long Sequence, long Correlation, Event[] Events);
