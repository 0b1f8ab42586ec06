using System.Runtime.CompilerServices;
using Exchange.Core.Events;

namespace Exchange.Core.Pipeline;

/// <summary>The fixed-capacity event array inside an <see cref="OutputSlot"/>, stored inline (no reference, no allocation).</summary>
[InlineArray(OutputSlot.Capacity)]
internal struct EventChunk
{
    private Event _first;
}
