namespace Exchange.Core.Pipeline;

/// <summary>How many threads may claim and publish slots of a ring buffer.</summary>
public enum ProducerType
{
    /// <summary>Exactly one publishing thread: claims are plain increments (<see cref="SingleProducerSequencer"/>).</summary>
    Single = 0,
    /// <summary>Any number of publishing threads: claims are CAS loops (<see cref="MultiProducerSequencer"/>).</summary>
    Multi = 1,
}
