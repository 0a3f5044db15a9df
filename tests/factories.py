"""factory-boy factories for the domain models."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from channels.models import Channel
from customers.models import Address, Customer, CustomerEmail, CustomerPhone, CustomerSource
from customers.payment_methods import PaymentMethod
from orders.models import Order, OrderAddress, OrderItem, OrderMessage, OrderStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-Secret-123")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Shop {n}")
    kind = Channel.Kind.SHOP


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: 10000 + n)
    first_name = factory.Faker("first_name", locale="de_DE")
    last_name = factory.Faker("last_name", locale="de_DE")
    company = ""
    vat_id = ""
    birth_date = datetime.date(1985, 4, 12)
    extra_fields = factory.LazyFunction(lambda: {"Kostenstelle": "KST-1"})
    payment_method = PaymentMethod.PAYPAL
    psp_token = factory.Sequence(lambda n: f"tok_{n:08d}")


class CustomerEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerEmail

    customer = factory.SubFactory(CustomerFactory)
    email = factory.Sequence(lambda n: f"kunde{n}@example.de")


class CustomerPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerPhone

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"+49 30 {1000000 + n}")


class CustomerSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerSource

    customer = factory.SubFactory(CustomerFactory)
    channel = factory.SubFactory(ChannelFactory)
    external_id = factory.Sequence(lambda n: f"EXT-{n}")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    first_name = factory.SelfAttribute("customer.first_name")
    last_name = factory.SelfAttribute("customer.last_name")
    street = factory.Faker("street_name", locale="de_DE")
    house_number = factory.Sequence(lambda n: str(n % 200 + 1))
    postcode = factory.Faker("postcode", locale="de_DE")
    city = factory.Faker("city", locale="de_DE")
    country = "DE"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: 100000 + n)
    channel = factory.SubFactory(ChannelFactory)
    external_number = factory.Sequence(lambda n: f"EXT-ORDER-{n}")
    customer = factory.SubFactory(CustomerFactory)
    billing_entry = factory.SubFactory(AddressFactory, customer=factory.SelfAttribute("..customer"))
    shipping_entry = factory.SelfAttribute("billing_entry")
    order_date = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3))
    status = OrderStatus.PAID
    total = Decimal("59.90")
    currency = "EUR"
    payment_method = PaymentMethod.PAYPAL
    buyer_email = factory.Sequence(lambda n: f"kaeufer{n}@example.de")
    buyer_phone = "+49 89 123456"
    notes = "Bitte klingeln"

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # The order's own addresses are copies of the entries it came from (as on import),
        # unless a test gives them.
        for role in ("billing", "shipping"):
            entry = kwargs.get(f"{role}_entry")
            if entry is not None:
                for name, value in OrderAddress.from_entry(entry).columns(role).items():
                    kwargs.setdefault(name, value)
        return kwargs


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    title = "Kaffeebecher Steingut"
    quantity = 2
    unit_price = Decimal("12.50")
    tax_rate = Decimal("19.00")


class OrderMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderMessage

    order = factory.SubFactory(OrderFactory)
    direction = OrderMessage.Direction.INCOMING
    subject = "Lieferung"
    body = "Können Sie an die Packstation liefern?"
