using Whistle.Domain.Reference;

namespace Whistle.Api.Persistence;

public sealed class WhistleDbContext(DbContextOptions<WhistleDbContext> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<OrderHistoryEntry> OrderHistory => Set<OrderHistoryEntry>();
    public DbSet<OrderPart> OrderParts => Set<OrderPart>();
    public DbSet<Street> Streets => Set<Street>();
    public DbSet<Community> Communities => Set<Community>();
    public DbSet<Grid> Grids => Set<Grid>();
    public DbSet<Department> Departments => Set<Department>();
    public DbSet<Category> Categories => Set<Category>();
    public DbSet<DutyEntry> DutyCatalogue => Set<DutyEntry>();
    public DbSet<CalendarDay> CalendarDays => Set<CalendarDay>();
    public DbSet<Features.Reference.ReferenceChange> ReferenceChanges => Set<Features.Reference.ReferenceChange>();
    public DbSet<Credential> Credentials => Set<Credential>();
    public DbSet<Features.Webhooks.WebhookSubscription> WebhookSubscriptions => Set<Features.Webhooks.WebhookSubscription>();
    public DbSet<Features.Webhooks.WebhookDelivery> WebhookDeliveries => Set<Features.Webhooks.WebhookDelivery>();
    public DbSet<Features.Webhooks.WebhookAttempt> WebhookAttempts => Set<Features.Webhooks.WebhookAttempt>();
    public DbSet<Features.Geo.GridBoundary> GridBoundaries => Set<Features.Geo.GridBoundary>();
    public DbSet<Features.Open311.OrderReporter> OrderReporters => Set<Features.Open311.OrderReporter>();
    public DbSet<Features.Published.PrivateCategory> PrivateCategories => Set<Features.Published.PrivateCategory>();
    public DbSet<Features.Published.PublicationHold> PublicationHolds => Set<Features.Published.PublicationHold>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Boundaries and positions are PostGIS types (see PostGis for what a server without it gets).
        modelBuilder.HasPostgresExtension("postgis");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(WhistleDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // The store speaks the same kebab-case names as the API, so SQL over it reads like the docs.
        configurationBuilder.Properties<OrderState>().HaveConversion<WireNameConverter<OrderState>>().HaveMaxLength(32);
        configurationBuilder.Properties<Priority>().HaveConversion<WireNameConverter<Priority>>().HaveMaxLength(16);
        configurationBuilder.Properties<Rating>().HaveConversion<WireNameConverter<Rating>>().HaveMaxLength(32);
        configurationBuilder.Properties<EscalationLevel>().HaveConversion<WireNameConverter<EscalationLevel>>().HaveMaxLength(16);
        configurationBuilder.Properties<Role>().HaveConversion<WireNameConverter<Role>>().HaveMaxLength(32);
        configurationBuilder.Properties<CancelReason>().HaveConversion<WireNameConverter<CancelReason>>().HaveMaxLength(16);
        configurationBuilder.Properties<PartState>().HaveConversion<WireNameConverter<PartState>>().HaveMaxLength(16);
        configurationBuilder.Properties<PartRole>().HaveConversion<WireNameConverter<PartRole>>().HaveMaxLength(16);
        configurationBuilder.Properties<ReturnReasonCode>().HaveConversion<WireNameConverter<ReturnReasonCode>>().HaveMaxLength(32);
    }
}
