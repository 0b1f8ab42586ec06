namespace Exchange.Core.Book;

/// <summary>One aggregated price level: price in ticks, total resting lots.</summary>
public readonly record struct BookLevel(long Price, long Lots);
