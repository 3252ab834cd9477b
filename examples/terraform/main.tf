# A private cache the way it is built on AWS: a VPC with two subnets, a security group that admits Redis from the
# VPC's own addresses, a subnet group, a parameter group, and a replication group (a primary and a replica with
# automatic failover) in them. Only the provider's endpoints point at the emulator; remove the endpoints block (and
# the test credentials) and the same stack applies to AWS.

variable "endpoint" {
  description = "The emulator's URL"
  type        = string
  default     = "http://localhost:8379"
}

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region                  = "us-east-1"
  access_key              = "test"
  secret_key              = "test"
  skip_metadata_api_check = true

  endpoints {
    elasticache = var.endpoint
    ec2         = var.endpoint
    sts         = var.endpoint
    iam         = var.endpoint
  }
}

resource "aws_vpc" "app" {
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.app.id
  cidr_block        = "10.40.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.app.id
  cidr_block        = "10.40.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_security_group" "cache" {
  name        = "cache"
  description = "Redis from inside the VPC"
  vpc_id      = aws_vpc.app.id

  ingress {
    description = "Redis"
    from_port   = 6379
    to_port     = 6379
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.app.cidr_block]
  }
}

resource "aws_elasticache_subnet_group" "cache" {
  name       = "cache"
  subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
}

resource "aws_elasticache_parameter_group" "cache" {
  name   = "cache"
  family = "redis7"

  parameter {
    name  = "maxmemory-policy"
    value = "allkeys-lru"
  }
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "terraform-example"
  description                = "a primary and a replica"
  engine                     = "redis"
  node_type                  = "cache.t3.micro"
  port                       = 6379
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  subnet_group_name          = aws_elasticache_subnet_group.cache.name
  security_group_ids         = [aws_security_group.cache.id]
  parameter_group_name       = aws_elasticache_parameter_group.cache.name
}

output "primary_endpoint" {
  value = "${aws_elasticache_replication_group.cache.primary_endpoint_address}:${aws_elasticache_replication_group.cache.port}"
}

output "reader_endpoint" {
  value = "${aws_elasticache_replication_group.cache.reader_endpoint_address}:${aws_elasticache_replication_group.cache.port}"
}
